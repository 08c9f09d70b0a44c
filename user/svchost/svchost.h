// svchost.exe's services (main.c picks one by -s SERVICE).
#pragma once

// Exercise 000's services (lsasvc.c): FileSync, Backup ACCOUNT, Update.
NTSTATUS SvcRunLsaService(const char *service, const char *account);
// Exercise 003's services (termsrv.c).
NTSTATUS TermSrvMain(void);
void GpSvcMain(void);
// A logon through lsass (connecting first if this process has not): the
// user's token, for a thread to impersonate (lsasvc.c).
NTSTATUS SvcLogonUser(const char *user, const char *password, HANDLE *token);
