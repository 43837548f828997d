/* rc-test.h: the test harness shared by unit and integration tests.
 * Deadlines are in seconds and multiplied by RC_TEST_SLOWDOWN (sanitizer runs).
 * Addresses are 127.0.0.1 / ::1 only; ports come from rc_test_free_port(). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

/* Seconds scaled by RC_TEST_SLOWDOWN. */
double rc_test_scale(double seconds);

typedef gboolean (*RcTestCheck)(gpointer data);

/* Iterate the default main context until check(data) holds or the deadline
 * passes; on timeout mark the test failed with a message naming `what` and
 * return FALSE.  Polls at least every 20 ms. */
gboolean rc_test_wait_until(RcTestCheck check, gpointer data, const char *what, double seconds);

/* A free TCP port on 127.0.0.1 (bound to port 0 and released). */
guint16 rc_test_free_port(void);
/* A free UDP port on 127.0.0.1. */
guint16 rc_test_free_udp_port(void);

/* A fresh temporary directory, removed by rc_test_rmtree. (transfer full) */
char *rc_test_make_tmpdir(const char *prefix);
void rc_test_rmtree(const char *path);

/* Path of the receptor binary under test (RC_RECEPTOR). (transfer none) */
const char *rc_test_receptor_path(void);
/* A file in the build tree: RC_BUILD_ROOT/relative (transfer full). */
char *rc_test_build_path(const char *relative);

typedef struct _RcTestNode RcTestNode;

/* Start `receptor -c <dir>/<name>.yml` with `yaml` as the file (the harness
 * substitutes nothing; build the YAML with g_strdup_printf and harness ports).
 * stdout+stderr go to <dir>/<name>.log.  `dir` is a tmpdir the caller owns. */
RcTestNode *rc_test_node_start(const char *dir, const char *name, const char *yaml);
/* Start receptor with these arguments (NULL-terminated, argv[0] excluded). */
RcTestNode *rc_test_node_start_argv(const char *dir, const char *name, const char *const *args);

/* Full log so far (transfer full). */
char *rc_test_node_log(RcTestNode *node);
gboolean rc_test_node_log_contains(RcTestNode *node, const char *needle);
/* Wait until the log contains `needle` (fails the test on timeout). */
gboolean rc_test_node_wait_log(RcTestNode *node, const char *needle, double seconds);
/* Has the process exited?  exit status in *status when it has. */
gboolean rc_test_node_exited(RcTestNode *node, int *status);
/* Wait for exit (fails on timeout); returns the exit code, or 128+signal. */
int rc_test_node_wait_exit(RcTestNode *node, double seconds);
/* SIGTERM, wait (10 s), return the exit code (SIGKILL and -1 on timeout). */
int rc_test_node_stop(RcTestNode *node);
/* SIGKILL and reap. */
void rc_test_node_kill(RcTestNode *node);
GPid rc_test_node_pid(RcTestNode *node);
const char *rc_test_node_name(RcTestNode *node);
const char *rc_test_node_dir(RcTestNode *node);
/* Print the log tail to stderr (used on failure). */
void rc_test_node_dump_log(RcTestNode *node);
/* Stop if still running, free. */
void rc_test_node_free(RcTestNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestNode, rc_test_node_free)

/* Run a command to completion (deadline `seconds`), stdin from `input`
 * (nullable).  Returns the exit code (128+signal; -1 on spawn failure or
 * timeout).  out/err (nullable) receive stdout/stderr. */
int rc_test_run(const char *const *argv, const char *input, double seconds, char **out,
		char **err);

/* Connect to a Unix socket path and exchange raw bytes: send `request`
 * (nullable), then read until the peer closes or `until` (nullable) appears in
 * what was read.  (transfer full) (nullable on error) */
char *rc_test_unix_exchange(const char *path, const char *request, const char *until,
			    double seconds, GError **error);
