// The NT native API as Sleuth's user programs see it: the NT ABI headers of
// kernel/ndk/ (NT's types, x64 structure layouts, constants and service
// prototypes), the same declarations the kernel is built with, so that the
// two sides cannot disagree and code written against ntdll compiles here
// unchanged. User builds define SLEUTH_USER_MODE, which makes every service
// prototype NTAPI (ms_abi), the convention the system-call entry expects.
//
// Everything here is what the kernel implements; the one call NT does not
// have is NtCreateProcessFromArchive, Sleuth's way to start a program (NT's
// NtCreateUserProcess needs a file system and an image loader we do not have).
#pragma once

#include "kernel/ndk/ntdef.h"
#include "kernel/ndk/ntstatus.h"
#include "kernel/ndk/ntkeapi.h"
#include "kernel/ndk/ntrtl.h"
#include "kernel/ndk/ntobapi.h"
#include "kernel/ndk/ntseapi.h"
#include "kernel/ndk/ntpsapi.h"
#include "kernel/ndk/ntexapi.h"
#include "kernel/ndk/ntmmapi.h"
#include "kernel/ndk/ntlpcapi.h"
#include "kernel/ndk/ntalpcapi.h"
#include "kernel/ndk/ntioapi.h"
#include "kernel/ndk/ntalpcattr.h"
#include "kernel/ndk/ntuser.h"
