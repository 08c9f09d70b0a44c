# Sleuth: build, run and test. `make help` lists the targets.

BUILD ?= build

# A cross-compiler when there is one, else the host GCC in freestanding mode.
ifeq ($(origin CC),default)
CC := $(if $(shell command -v x86_64-elf-gcc 2>/dev/null),x86_64-elf-gcc,gcc)
endif
LD := $(if $(shell command -v x86_64-elf-ld 2>/dev/null),x86_64-elf-ld,ld)
NM := $(if $(shell command -v x86_64-elf-nm 2>/dev/null),x86_64-elf-nm,nm)
READELF := $(if $(shell command -v x86_64-elf-readelf 2>/dev/null),x86_64-elf-readelf,readelf)
NASM ?= nasm
HOSTCC ?= gcc
PYTHON ?= python3
# The type tables' generator needs pyelftools, from Debian's python3-pyelftools
# (make deps): Debian's own Python sees it, a pyenv or venv python3 on PATH
# may not.
TYPES_PYTHON ?= /usr/bin/python3

# The disassembler: Zydis's decoder, from Debian's zydis source package (and
# the headers of zycore-c), which `make deps` (tools/deps.sh) unpacks under
# $(DEPS); never part of the tree. Built freestanding with the kernel's
# flags and these settings: no libc (Zycore's own memset and friends), a
# static library, no encoder, formatter (the text is ours, kd/disasm.c) or
# KNC instructions. Its sources build warning-free under -Wall -Wextra with
# GCC and clang, but third-party code does not fail our build on a new
# compiler's warning: -Werror is left out for them, and their headers are
# system headers to our code.
DEPS ?= build/deps
ZYDIS_STAMP := $(DEPS)/fetched.stamp
ZYDIS_MODULES := Decoder DecoderData SharedData Mnemonic Register Utils Zydis
ZYDIS_DEFINES := -DZYAN_NO_LIBC -DZYDIS_STATIC_BUILD -DZYCORE_STATIC_BUILD \
                 -DZYDIS_DISABLE_ENCODER -DZYDIS_DISABLE_FORMATTER -DZYDIS_DISABLE_KNC
ZYDIS_INCLUDES := -isystem $(DEPS)/zydis/include -isystem $(DEPS)/zycore/include
ZYDIS_OBJ := $(ZYDIS_MODULES:%=$(BUILD)/zydis/%.o)

CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib -mno-red-zone \
          -mcmodel=kernel -mno-sse -mno-sse2 -mno-mmx -mno-avx -fno-pic -fno-pie \
          -fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
          -fno-optimize-sibling-calls \
          -fasynchronous-unwind-tables -fno-strict-aliasing \
          -Wall -Wextra -Werror -Wno-unused-parameter -Ikernel -I. -MMD -MP
ifneq ($(findstring clang,$(CC)),)
CFLAGS += --target=x86_64-unknown-none-elf
endif
ZYDIS_CFLAGS = $(filter-out -Werror -Ikernel -I.,$(CFLAGS)) $(ZYDIS_DEFINES) $(ZYDIS_INCLUDES) \
               -I$(DEPS)/zydis/src
CFLAGS += $(ZYDIS_DEFINES) $(ZYDIS_INCLUDES)
# PHASES=1: the phase probes of ke/kephase.h (make bench-phases builds so).
ifeq ($(PHASES),1)
CFLAGS += -DKE_PHASES
endif
NASMFLAGS := -f elf64 -w+all -i ./
ifeq ($(PHASES),1)
NASMFLAGS += -DKE_PHASES
endif
LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
           --eh-frame-hdr -T linker.ld

KERNEL_C := $(wildcard arch/x86_64/*.c) $(wildcard kernel/*/*.c) $(wildcard tests/kernel/*.c)
KERNEL_ASM := $(wildcard boot/*.asm) $(wildcard arch/x86_64/*.asm)
KERNEL_OBJ := $(KERNEL_C:%.c=$(BUILD)/%.o) $(KERNEL_ASM:%.asm=$(BUILD)/%.o) $(BUILD)/ntexports.o \
              $(BUILD)/pooltags.o $(ZYDIS_OBJ)

ELF := $(BUILD)/sleuth.elf

# User programs: static ELF64 images linked at 0x400000, packed into the
# archive GRUB loads as the `user` module (tools/mkuserimg.py). Each
# directory user/NAME/ and tests/user/NAME/ is a program NAME.exe made of
# the .c files in it and the runtime (user/lib, plus the kernel's string
# and formatting routines built again for user mode).
USER_PROGRAM_DIRS := $(filter-out user/lib/ user/include/,$(sort $(dir $(wildcard user/*/*.c)))) \
                     $(sort $(dir $(wildcard tests/user/*/*.c)))
USER_PROGRAMS := $(notdir $(USER_PROGRAM_DIRS:/=))
USER_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib -mno-sse -mno-sse2 \
               -mno-mmx -mno-avx -fno-pic -fno-pie -fno-stack-protector \
               -fasynchronous-unwind-tables -fno-omit-frame-pointer \
               -Wall -Wextra -Werror -Wno-unused-parameter -DSLEUTH_USER_MODE -I. -Ikernel -MMD -MP
ifneq ($(findstring clang,$(CC)),)
USER_CFLAGS += --target=x86_64-unknown-none-elf
endif
USER_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --eh-frame-hdr \
                -T user/linker.ld
USER_RTL_SRC := kernel/rtl/format.c kernel/rtl/string.c kernel/rtl/ustring.c kernel/rtl/security.c \
                kernel/rtl/alpcattr.c
USER_LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard user/lib/*.c)) \
                $(patsubst kernel/rtl/%.c,$(BUILD)/user/rtl/%.o,$(USER_RTL_SRC))
USER_PROGRAM_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(USER_PROGRAM_DIRS:%=%*.c)))
USER_EXE := $(USER_PROGRAMS:%=$(BUILD)/user/%.exe)
# The system's own programs (user/NAME/) give dt their types too; the test
# programs do not (each would add about half a second of gentypes).
USER_TYPED_EXE := $(patsubst user/%/,$(BUILD)/user/%.exe,$(filter user/%,$(USER_PROGRAM_DIRS)))

# Drivers: each directory kernel/drivers/NAME/ and tests/drivers/NAME/ is an
# image NAME.sys (docs/drivers.md): position-independent code linked as an
# ELF shared object at 0, its imports left undefined for the kernel's loader
# to bind by name to nt's exports (kernel/mm/ntoskrnl.exports). The kernel's
# flags, but for the code model: a driver is relocated wherever it loads.
DRIVER_DIRS := $(sort $(dir $(wildcard kernel/drivers/*/*.c)))
TEST_DRIVER_DIRS := $(sort $(dir $(wildcard tests/drivers/*/*.c)))
DRIVER_CFLAGS := $(filter-out -mcmodel=kernel -fno-pic -fno-pie,$(CFLAGS)) \
                 -fPIC -fvisibility=hidden -DSLEUTH_DRIVER
DRIVER_LDFLAGS := -shared -Bsymbolic --hash-style=sysv -z max-page-size=0x1000 -z noexecstack \
                  --eh-frame-hdr \
                  -z separate-code -z now -z relro -e DriverEntry
DRIVER_SYS := $(foreach d,$(DRIVER_DIRS) $(TEST_DRIVER_DIRS), \
                $(BUILD)/drivers/$(notdir $(d:/=)).sys)
DRIVER_OBJ := $(patsubst %.c,$(BUILD)/%.o, \
                $(wildcard $(DRIVER_DIRS:%=%*.c) $(TEST_DRIVER_DIRS:%=%*.c)))
EXPORTS := kernel/mm/ntoskrnl.exports
USER_IMG := $(BUILD)/user.img
ISO := $(BUILD)/sleuth.iso
QEMU := $(PYTHON) tools/qemu.py --iso $(ISO)

.PHONY: matrix all kernel iso usb run run-vga run-uefi gdb test test-host test-kernel test-e2e \
        bench bench-phases stress fuzz deps clean help grade exercise FORCE

all: $(ELF) $(ISO)

help:
	@echo "make run        build and boot in QEMU, serial console on this terminal"
	@echo "make run-vga    boot in a QEMU window (screen and keyboard)"
	@echo "make run-uefi   boot through OVMF (UEFI), serial console on this terminal"
	@echo "make gdb        boot and wait for GDB on localhost:1234"
	@echo "make test       every test: host units, in-kernel, end-to-end (BIOS and UEFI)"
	@echo "make matrix     the boot matrix: pc/q35, 64M-16G, -smp 1-8, BIOS/UEFI, CD/USB"
	@echo "make bench      benchmarks"
	@echo "make bench-phases  where the LPC benchmarks' instructions go, phase by phase"
	@echo "make stress        the long load runs without -icount (64 ALPC clients x 100,000)"
	@echo "make fuzz       a fuzzing campaign: SEED=1 SECS=60 SEEDS=1 (docs/fuzzing.md)"
	@echo "make exercise N=001  boot an exercise in QEMU (docs/exercises/README.md)"
	@echo "make grade      replay the exercises' solutions; CODES=f.csv: verify completion codes"
	@echo "make usb        $(BUILD)/sleuth.img, a raw image to dd onto a USB stick"
	@echo "make deps       install the Debian packages the build needs"

deps:
	@DEPS_DIR=$(DEPS) tools/deps.sh

# The disassembler's sources, when `make deps` has not fetched them yet.
$(ZYDIS_STAMP):
	@DEPS_DIR=$(DEPS) tools/deps.sh

$(ZYDIS_OBJ): $(BUILD)/zydis/%.o: | $(ZYDIS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $(DEPS)/zydis/src/$*.c"
	@$(CC) $(ZYDIS_CFLAGS) -c $(DEPS)/zydis/src/$*.c -o $@

# What includes Zydis's headers waits for them.
$(BUILD)/kernel/kd/disasm.o $(BUILD)/kernel/kd/cmddisasm.o: | $(ZYDIS_STAMP)

# The exercises' completion codes are HMACs under GRADE_KEY (docs/exercises/
# README.md): a lecturer builds their own ISO with their own key, and
# `make grade GRADE_KEY=...` verifies with it. The default is public, for
# development only. gradekey.h changes (and .answer rebuilds) only when the
# key does.
GRADE_KEY ?= sleuth-development-key
$(BUILD)/grade/gradekey.h: FORCE
	@$(PYTHON) tools/gradekey.py $@ '$(subst ','\'',$(GRADE_KEY))'
$(BUILD)/kernel/kd/cmdanswer.o: $(BUILD)/grade/gradekey.h
$(BUILD)/kernel/kd/cmdanswer.o: CFLAGS += -I$(BUILD)/grade
FORCE:

kernel: $(ELF)
iso: $(ISO)

# Flags live here: when they change, everything is rebuilt.
$(KERNEL_OBJ): Makefile
$(KERNEL_ASM:%.asm=$(BUILD)/%.o): arch/x86_64/ktrap.inc

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: $(BUILD)/%.c
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/user/%.o: user/%.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(USER_CFLAGS) -c $< -o $@

$(BUILD)/tests/user/%.o: tests/user/%.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(USER_CFLAGS) -c $< -o $@

$(BUILD)/kernel/drivers/%.o: kernel/drivers/%.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $< (driver)"
	@$(CC) $(DRIVER_CFLAGS) -c $< -o $@

$(BUILD)/tests/drivers/%.o: tests/drivers/%.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $< (driver)"
	@$(CC) $(DRIVER_CFLAGS) -c $< -o $@

# NAME.sys from the objects of its directory, and its export table when the
# directory has a NAME.exports (what other drivers may import from it). The
# shipped drivers' imports are checked against nt's list and the shipped
# drivers' lists here; the test drivers include ones that must fail to
# load, so theirs are not.
DRIVER_EXPORT_LISTS := $(wildcard kernel/drivers/*/*.exports)
define DRIVER_RULE
$(BUILD)/drivers/$(notdir $(1:/=)).sys: $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)*.c)) \
                                         $(patsubst %.exports,$(BUILD)/%.exports.o, \
                                           $(wildcard $(1)*.exports)) \
                                         $(EXPORTS) $(DRIVER_EXPORT_LISTS) tools/genexports.py
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	@$(LD) $(DRIVER_LDFLAGS) -o $$@ $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)*.c)) \
	    $(patsubst %.exports,$(BUILD)/%.exports.o,$(wildcard $(1)*.exports))
	$(if $(2),@$(PYTHON) tools/genexports.py --readelf $(READELF) --check-imports $(EXPORTS) \
	    $(DRIVER_EXPORT_LISTS:%=--also %) $$@)
endef
$(foreach dir,$(DRIVER_DIRS),$(eval $(call DRIVER_RULE,$(dir),check)))
$(foreach dir,$(TEST_DRIVER_DIRS),$(eval $(call DRIVER_RULE,$(dir),)))

$(BUILD)/%.exports.asm: %.exports tools/genexports.py
	@mkdir -p $(dir $@)
	@echo "  EXPORTS $@"
	@$(PYTHON) tools/genexports.py --driver -o $@ $<

$(BUILD)/%.exports.o: $(BUILD)/%.exports.asm
	@echo "  NASM    $<"
	@$(NASM) $(NASMFLAGS) $< -o $@

$(BUILD)/ntexports.asm: $(EXPORTS) tools/genexports.py
	@mkdir -p $(BUILD)
	@echo "  EXPORTS $@"
	@$(PYTHON) tools/genexports.py -o $@ $(EXPORTS)

$(BUILD)/ntexports.o: $(BUILD)/ntexports.asm
	@echo "  NASM    $<"
	@$(NASM) $(NASMFLAGS) $< -o $@

$(BUILD)/user/rtl/%.o: kernel/rtl/%.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $< (user)"
	@$(CC) $(USER_CFLAGS) -Ikernel -c $< -o $@

# NAME.exe from the objects of its directory.
define USER_PROGRAM_RULE
$(BUILD)/user/$(notdir $(1:/=)).exe: $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)*.c)) $(USER_LIB_OBJ) user/linker.ld
	@echo "  LD      $$@"
	@$(LD) $(USER_LDFLAGS) -o $$@ $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)*.c)) $(USER_LIB_OBJ)
endef
$(foreach dir,$(USER_PROGRAM_DIRS),$(eval $(call USER_PROGRAM_RULE,$(dir))))

# The services file stands in for the registry's Services key (docs/drivers.md).
SERVICES := $(BUILD)/services.txt
$(SERVICES): kernel/drivers/services.txt tests/drivers/services.txt
	@mkdir -p $(BUILD)
	@cat $^ > $@

# The RAM file system's first tree (tools/mkrootfs.py), one more archive entry.
ROOTFS_IMG := $(BUILD)/rootfs.img
$(ROOTFS_IMG): $(shell find user/rootfs -type f) tools/mkrootfs.py
	@mkdir -p $(BUILD)
	@echo "  ROOTFS  $@"
	@$(PYTHON) tools/mkrootfs.py -o $@ user/rootfs

$(USER_IMG): $(USER_EXE) $(DRIVER_SYS) $(SERVICES) $(ROOTFS_IMG) tools/mkuserimg.py user/aliases.txt
	@echo "  USERIMG $@"
	@$(PYTHON) tools/mkuserimg.py -o $@ -a user/aliases.txt $(USER_EXE) $(DRIVER_SYS) $(SERVICES) \
	    $(ROOTFS_IMG)

$(BUILD)/%.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) $(NASMFLAGS) $< -o $@

# The debugger's pool tag descriptions, from kernel/kd/pooltag.txt; a tag
# used in the kernel, a driver or a kernel test without one stops the build.
POOLTAG_DIRS := kernel arch tests/kernel tests/drivers
$(BUILD)/pooltags.c: kernel/kd/pooltag.txt tools/genpooltag.py \
                     $(shell find $(POOLTAG_DIRS) -name '*.[ch]')
	@mkdir -p $(BUILD)
	@echo "  TAGS    $@"
	@$(PYTHON) tools/genpooltag.py -o $@ kernel/kd/pooltag.txt $(POOLTAG_DIRS)

# Two links: the first finds every symbol's address, the second adds the
# table of them (the last segment, so nothing else moves); then we check that
# nothing did.
$(BUILD)/ksyms-empty.c: tools/gensyms.py
	@mkdir -p $(BUILD)
	@$(PYTHON) tools/gensyms.py --empty -o $@

# The type tables (dt, ??) come the same way: from the first link's DWARF,
# each driver's and each system program's (tools/gentypes.py), into the
# same last segment.
$(BUILD)/ktypes-empty.c: tools/gentypes.py
	@mkdir -p $(BUILD)
	@$(TYPES_PYTHON) tools/gentypes.py --empty -o $@

$(BUILD)/sleuth.pass1.elf: $(KERNEL_OBJ) $(BUILD)/ksyms-empty.o $(BUILD)/ktypes-empty.o linker.ld
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) -o $@ $(KERNEL_OBJ) $(BUILD)/ksyms-empty.o $(BUILD)/ktypes-empty.o

$(BUILD)/ksyms.c: $(BUILD)/sleuth.pass1.elf tools/gensyms.py
	@echo "  SYMS    $@"
	@$(PYTHON) tools/gensyms.py --nm $(NM) -o $@ $<

$(BUILD)/ktypes.c: $(BUILD)/sleuth.pass1.elf $(DRIVER_SYS) $(USER_TYPED_EXE) tools/gentypes.py
	@echo "  TYPES   $@"
	@$(TYPES_PYTHON) tools/gentypes.py -o $@ nt=$< \
	    $(foreach s,$(DRIVER_SYS),$(notdir $(s:.sys=))=$(s)) \
	    $(foreach s,$(USER_TYPED_EXE),$(notdir $(s:.exe=))=$(s))

$(ELF): $(BUILD)/sleuth.pass1.elf $(BUILD)/ksyms.o $(BUILD)/ktypes.o
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) -o $@ $(KERNEL_OBJ) $(BUILD)/ksyms.o $(BUILD)/ktypes.o
	@$(PYTHON) tools/gensyms.py --nm $(NM) --check $(BUILD)/sleuth.pass1.elf $@

$(ISO): $(ELF) $(USER_IMG) boot/grub.cfg
	@rm -rf $(BUILD)/iso
	@mkdir -p $(BUILD)/iso/boot/grub
	@cp $(ELF) $(BUILD)/iso/boot/sleuth.elf
	@cp $(USER_IMG) $(BUILD)/iso/boot/user.img
	@cp boot/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	@echo "  ISO     $@"
	@grub-mkrescue -o $@ $(BUILD)/iso -- -volid SLEUTH 2>$(BUILD)/grub-mkrescue.log \
	    || (cat $(BUILD)/grub-mkrescue.log; exit 1)

# The ISO is hybrid: written to a stick with dd it boots under BIOS and UEFI.
usb: $(ISO)
	cp $(ISO) $(BUILD)/sleuth.img
	@echo "Write it with: sudo dd if=$(BUILD)/sleuth.img of=/dev/sdX bs=4M conv=fsync"

run: deps $(ISO)
	$(QEMU) --serial-stdio

run-vga: deps $(ISO)
	$(QEMU) --vga

run-uefi: deps $(ISO)
	$(QEMU) --serial-stdio --uefi

gdb: deps $(ISO)
	@echo "In another terminal: gdb $(ELF) -ex 'target remote localhost:1234'"
	$(QEMU) --serial-stdio --gdb

test: deps
	@$(PYTHON) tools/runtests.py --build $(BUILD)

# The boot matrix (issue 17, docs/booting.md): 240 boots, two at a time;
# MATRIX_ARGS="-k q35-64M" picks cells, "-j 4" runs more at once.
matrix: deps $(ISO)
	@$(PYTHON) tools/bootmatrix.py --build $(BUILD) $(MATRIX_ARGS)

bench: deps $(ISO)
	@$(PYTHON) tools/bench.py --iso $(ISO)

# The long load runs (no -icount): 64 ALPC clients x 100,000 requests.
stress: deps $(ISO)
	@$(PYTHON) tools/bench.py --iso $(ISO) --stress

# The exercises (docs/exercises/README.md). `make exercise N=001` boots one
# in QEMU on this terminal (-icount shift=0,sleep=off: the aging takes
# seconds). `make grade CODES=list.csv` verifies a lecturer's completion
# codes (student,exercise,code lines) under GRADE_KEY; `make grade` alone
# replays every tests/exercises/NNN.solution for two student ids
# (STUDENTS=a,b, AGE=SECONDS to override the exercises' own age).
N ?=
exercise: deps $(ISO)
	@$(if $(N),,echo "make exercise N=NNN (000, 001, 002 or 003)"; exit 2)
	@$(PYTHON) tools/exercise.py --iso $(ISO) $(N)

CODES ?=
STUDENTS ?= s1,s2
AGE ?=
grade: $(if $(CODES),,deps $(ISO))
	@$(PYTHON) tools/grade.py --key '$(subst ','\'',$(GRADE_KEY))' \
	    $(if $(CODES),--codes $(CODES),--iso $(ISO) --students $(STUDENTS) $(if $(AGE),--age $(AGE)))

# A kernel with the phase probes, in its own build directory.
bench-phases: deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/phases PHASES=1 all
	@$(PYTHON) tools/bench.py --iso $(BUILD)/phases/sleuth.iso --phases

# A fuzzing campaign (docs/fuzzing.md): SEED, SECS of guest time, SEEDS
# seeds from SEED on, AVOID known bugs (e.g. AVOID=1,5).
SEED ?= 1
SECS ?= 60
SEEDS ?= 1
AVOID ?=
fuzz: deps $(ISO)
	@$(PYTHON) tools/fuzz.py --iso $(ISO) --seed $(SEED) --secs $(SECS) --seeds $(SEEDS) \
	    $(if $(AVOID),--avoid $(AVOID)) $(if $(SMP),--smp $(SMP))

# Host unit tests: the pure code, built for this machine under the sanitizers.
HOST_TEST_SRC := $(wildcard tests/host/*.c)
HOST_CODE_SRC := kernel/rtl/format.c kernel/rtl/string.c kernel/rtl/ustring.c kernel/kd/symbols.c kernel/kd/unwind.c \
                 kernel/mm/pool.c kernel/rtl/elfimage.c kernel/init/cmdline.c kernel/kd/expr.c kernel/kd/typedb.c kernel/kd/cppexpr.c arch/x86_64/kbdmap.c \
                 kernel/kd/kdparse.c \
                 arch/x86_64/vgatext.c arch/x86_64/fbcon.c arch/x86_64/conesc.c \
                 arch/x86_64/font8x16.c kernel/kd/lineedit.c kernel/ke/qlock.c kernel/mm/vad.c \
                 user/lib/heap.c kernel/rtl/security.c kernel/se/accesschk.c kernel/se/sdinfo.c \
                 kernel/rtl/alpcattr.c kernel/rtl/sha256.c kernel/kd/excode.c \
                 $(wildcard kernel/drivers/ramfs/rf*.c) kernel/kd/disasm.c \
                 kernel/drivers/kbdhid/hidkbd.c kernel/drivers/xhci/ring.c
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
               -fsanitize=address,undefined -fno-sanitize-recover=all -fno-builtin \
               -DSLEUTH_HOST -Ikernel -I. -Itests/host -pthread

HOST_CFLAGS += $(ZYDIS_DEFINES) $(ZYDIS_INCLUDES)
# Zydis for the host tests: its own sources without the sanitizers (they
# test our code, not Zydis's).
HOST_ZYDIS_OBJ := $(ZYDIS_MODULES:%=$(BUILD)/host-$(notdir $(HOSTCC))/zydis/%.o)
$(HOST_ZYDIS_OBJ): $(BUILD)/host-$(notdir $(HOSTCC))/zydis/%.o: | $(ZYDIS_STAMP)
	@mkdir -p $(dir $@)
	@$(HOSTCC) -std=gnu11 -O1 -g $(ZYDIS_DEFINES) $(ZYDIS_INCLUDES) -I$(DEPS)/zydis/src \
	    -c $(DEPS)/zydis/src/$*.c -o $@

# The RAM file system's tests also unpack the tree image the build packs;
# the type tests read the kernel's own generated type tables.
$(BUILD)/host-$(notdir $(HOSTCC))/hosttests: $(HOST_TEST_SRC) $(wildcard $(HOST_CODE_SRC)) $(wildcard kernel/*/*.h kernel/drivers/*/*.h arch/x86_64/*.h tests/host/*.h) $(ROOTFS_IMG) \
                                             $(BUILD)/ktypes.c $(HOST_ZYDIS_OBJ)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -DRAMFS_TEST_IMAGE='"$(ROOTFS_IMG)"' $(HOST_TEST_SRC) $(wildcard $(HOST_CODE_SRC)) \
	    $(BUILD)/ktypes.c $(HOST_ZYDIS_OBJ) -o $@

test-host: $(BUILD)/host-$(notdir $(HOSTCC))/hosttests
	$(BUILD)/host-$(notdir $(HOSTCC))/hosttests

clean:
	rm -rf $(BUILD)

# Kept: make would delete them as intermediates and relink every time.
.SECONDARY: $(USER_LIB_OBJ) $(USER_PROGRAM_OBJ) $(DRIVER_OBJ)

-include $(KERNEL_OBJ:.o=.d) $(USER_LIB_OBJ:.o=.d) $(USER_PROGRAM_OBJ:.o=.d) $(DRIVER_OBJ:.o=.d)
