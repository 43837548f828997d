/* rc-ctl-work.h: receptorctl's `work` subcommands (control.md 5.5). */
#pragma once

#include "rc-ctl-cli.h"
#include "rc-ctl.h"

typedef struct {
	const char *name;
	const RcCtlCommand *cmd;
	const char *help; /* printf format with the program name */
	int (*run)(RcCtl *ctl, RcCtlParsed *args);
} RcCtlWorkCommand;

/* (transfer none) (nullable) */
const RcCtlWorkCommand *rc_ctl_work_find(const char *name);
