/* rc-command-runner.h: the hidden `command-runner` entity (config.md 10,
 * work.md 4.5): the process a work-command unit's daemon starts to supervise
 * the child, keep the status file and exit.  Also google/shlex splitting
 * (work.md 4.6). */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"

/* Runner status period (work.md 4.5 step 7, 7). */
#define RC_RUNNER_STATUS_PERIOD_MS 250
/* Consecutive failed periodic status writes tolerated (work.md 7). */
#define RC_RUNNER_MAX_WRITE_FAILURES 3
/* SIGINT -> SIGKILL grace for the child (work.md 4.7, 7). */
#define RC_RUNNER_KILL_GRACE_MS 10000

extern const RcEntityDesc rc_command_runner_entity;

/* github.com/google/shlex Split (work.md 4.6).  Errors: "EOF found when
 * expecting closing quote", "EOF found after escape character".
 * (transfer full) */
char **rc_shlex_split(const char *text, GError **error);

/* Go's text for a reaped child's wait status (work.md 3.3). (transfer full) */
char *rc_runner_wait_status_text(int wait_status);
