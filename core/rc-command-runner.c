/* rc-command-runner.c: the work-command runner (work.md 4.5, 4.6). */
#include "config.h"

#include "rc-command-runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "rc-entity.h"
#include "rc-work-statusfile.h"
#include "rc-workceptor.h"

/* ------------------------------------------------------------ shlex */

static void
append_char(GString *word, const char *p, const char *end, const char **next)
{
	gunichar u = g_utf8_get_char_validated(p, end - p);
	if (u == (gunichar)-1 || u == (gunichar)-2) {
		g_string_append(word, "\xef\xbf\xbd"); /* U+FFFD per bad byte */
		*next = p + 1;
		return;
	}
	*next = g_utf8_next_char(p);
	g_string_append_len(word, p, *next - p);
}

char **
rc_shlex_split(const char *text, GError **error)
{
	g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
	const char *p = text, *end = text + strlen(text);

	while (p < end) {
		/* between words */
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		g_autoptr(GString) word = g_string_new(NULL);
		while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			if (*p == '\\') {
				p++;
				if (p >= end) {
					g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
							    "EOF found after escape character");
					return NULL;
				}
				append_char(word, p, end, &p);
			} else if (*p == '\'') {
				p++;
				while (p < end && *p != '\'')
					append_char(word, p, end, &p);
				if (p >= end) {
					g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
							    "EOF found when expecting closing quote");
					return NULL;
				}
				p++;
			} else if (*p == '"') {
				p++;
				while (p < end && *p != '"') {
					if (*p == '\\') {
						p++;
						if (p >= end)
							break;
					}
					append_char(word, p, end, &p);
				}
				if (p >= end) {
					g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
							    "EOF found when expecting closing quote");
					return NULL;
				}
				p++;
			} else {
				append_char(word, p, end, &p);
			}
		}
		g_ptr_array_add(words, g_string_free(g_steal_pointer(&word), FALSE));
	}
	g_ptr_array_add(words, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&words), FALSE);
}

/* ------------------------------------------------------------ exit texts */

static const char *const signal_names[] = {
	NULL,
	"hangup",
	"interrupt",
	"quit",
	"illegal instruction",
	"trace/breakpoint trap",
	"aborted",
	"bus error",
	"floating point exception",
	"killed",
	"user defined signal 1",
	"segmentation fault",
	"user defined signal 2",
	"broken pipe",
	"alarm clock",
	"terminated",
	"stack fault",
	"child exited",
	"continued",
	"stopped (signal)",
	"stopped",
	"stopped (tty input)",
	"stopped (tty output)",
	"urgent I/O condition",
	"CPU time limit exceeded",
	"file size limit exceeded",
	"virtual timer expired",
	"profiling timer expired",
	"window changed",
	"I/O possible",
	"power failure",
	"bad system call",
};

char *
rc_runner_wait_status_text(int wait_status)
{
	if (WIFEXITED(wait_status))
		return g_strdup_printf("exit status %d", WEXITSTATUS(wait_status));
	if (WIFSIGNALED(wait_status)) {
		int sig = WTERMSIG(wait_status);
		g_autofree char *name = sig > 0 && sig < (int)G_N_ELEMENTS(signal_names)
						? g_strdup(signal_names[sig])
						: g_strdup_printf("signal %d", sig);
		return g_strdup_printf("signal: %s%s", name,
				       WCOREDUMP(wait_status) ? " (core dumped)" : "");
	}
	return g_strdup_printf("exit status %d", wait_status);
}

/* ------------------------------------------------------------ the runner */

typedef struct {
	char *command;
	char *params;
	char *unitdir;
} RunnerConfig;

typedef struct {
	RunnerConfig *cfg;
	GMainContext *ctx;
	GMainLoop *loop;
	RcWorkStatus *status;
	GPid child;
	guint write_failures;
	gboolean last_write_failed;
	char *last_write_error;
	gboolean killing;
	gboolean done; /* the final state is written: no more periodic writes */
	int exit_code;
} Runner;

static void
runner_config_free(gpointer data)
{
	RunnerConfig *c = data;
	g_free(c->command);
	g_free(c->params);
	g_free(c->unitdir);
	g_free(c);
}

static gboolean
runner_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
	      GError **error)
{
	RunnerConfig *c = g_new0(RunnerConfig, 1);
	c->command = g_strdup(rc_entity_get_string(entity, "command", ""));
	c->params = g_strdup(rc_entity_get_string(entity, "params", ""));
	c->unitdir = g_strdup(rc_entity_get_string(entity, "unitdir", ""));
	/* the runner builds no node state and scans nothing (work.md 4.5) */
	if (entity->core->workceptor != NULL)
		rc_workceptor_disable_scan(entity->core->workceptor);
	*data = c;
	return TRUE;
}

static G_NORETURN void
runner_exit(int code)
{
	fflush(stdout);
	fflush(stderr);
	_exit(code);
}

/* Step 9: a setup failure. */
static G_NORETURN void
runner_fail(Runner *r, const char *detail)
{
	g_autoptr(GError) error = NULL;
	if (!rc_work_statusfile_update_basic(r->cfg->unitdir, r->status, RC_WORK_FAILED, detail,
					     rc_work_statusfile_stdout_size(r->cfg->unitdir),
					     &error))
		rc_log_error("Error updating status file: %s", error->message);
	rc_log_error("Command runner failed: %s", detail);
	runner_exit(255);
}

static void
child_setup(gpointer user_data)
{
	/* own process group, so cancel reaches the whole tree (STYLE.md 4);
	 * default signal state (work.md 4.6, 8) */
	sigset_t none;
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static gboolean
periodic_update(gpointer user_data)
{
	Runner *r = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree char *detail = g_strdup_printf("Running: PID %d", (int)r->child);

	/* sources ready in the same iteration still run after the loop quit */
	if (r->killing || r->done)
		return G_SOURCE_CONTINUE;
	if (!rc_work_statusfile_update_basic(r->cfg->unitdir, r->status, RC_WORK_RUNNING, detail,
					     rc_work_statusfile_stdout_size(r->cfg->unitdir),
					     &error)) {
		r->last_write_failed = TRUE;
		g_free(r->last_write_error);
		r->last_write_error = g_strdup(error->message);
		if (++r->write_failures > RC_RUNNER_MAX_WRITE_FAILURES) {
			/* Go exits leaving the unit Running forever; leave a reason
			 * (the in-place fallback works even on a full disk) */
			g_autofree char *final = g_strdup_printf("Error: %s", error->message);
			rc_log_error("Command runner: repeated status write failures: %s",
				     error->message);
			rc_work_statusfile_update_basic(r->cfg->unitdir, r->status, RC_WORK_FAILED,
							final, -1, NULL);
			runner_exit(255);
		}
	} else {
		r->write_failures = 0;
		r->last_write_failed = FALSE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
kill_hard(gpointer user_data)
{
	Runner *r = user_data;
	kill(-r->child, SIGKILL);
	return G_SOURCE_REMOVE;
}

static gboolean
on_term(gpointer user_data)
{
	Runner *r = user_data;
	if (!r->killing) {
		GSource *t;
		r->killing = TRUE;
		/* work.md 4.7: SIGINT, 10 s, SIGKILL -- to the child's whole group */
		kill(-r->child, SIGINT);
		t = g_timeout_source_new(RC_RUNNER_KILL_GRACE_MS);
		g_source_set_callback(t, kill_hard, r, NULL);
		g_source_attach(t, r->ctx);
		g_source_unref(t);
	}
	return G_SOURCE_CONTINUE;
}

static void
child_exited(GPid pid, gint wait_status, gpointer user_data)
{
	Runner *r = user_data;
	g_autoptr(GError) error = NULL;
	gint64 size = rc_work_statusfile_stdout_size(r->cfg->unitdir);

	g_spawn_close_pid(pid);
	r->done = TRUE;
	if (r->killing) {
		/* no survivors of the tree (cancel) */
		kill(-pid, SIGKILL);
		rc_work_statusfile_update_basic(r->cfg->unitdir, r->status, RC_WORK_FAILED,
						"Killed", size, NULL);
		r->exit_code = 255;
	} else if (r->last_write_failed) {
		g_autofree char *detail = g_strdup_printf("Error: %s", r->last_write_error);
		rc_work_statusfile_update_basic(r->cfg->unitdir, r->status, RC_WORK_FAILED,
						detail, size, NULL); /* T20 */
		r->exit_code = 0;
	} else {
		g_autofree char *detail = rc_runner_wait_status_text(wait_status);
		gboolean ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
		struct statvfs vfs;
		/* a child that failed on a full file system says so (docs/differences.md) */
		if (!ok && statvfs(r->cfg->unitdir, &vfs) == 0 && vfs.f_bavail == 0) {
			char *full = g_strdup_printf("%s (no space left on device)", detail);
			g_free(detail);
			detail = full;
		}
		if (!rc_work_statusfile_update_basic(r->cfg->unitdir, r->status,
						     ok ? RC_WORK_SUCCEEDED : RC_WORK_FAILED,
						     detail, size, &error))
			rc_log_error("Error updating status file: %s", error->message);
		r->exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 255;
	}
	g_main_loop_quit(r->loop);
}

static int
spawn_error_errno(const GError *error)
{
	if (error->domain != G_SPAWN_ERROR)
		return EIO;
	switch (error->code) {
	case G_SPAWN_ERROR_ACCES:
		return EACCES;
	case G_SPAWN_ERROR_NOENT:
		return ENOENT;
	case G_SPAWN_ERROR_NOEXEC:
		return ENOEXEC;
	case G_SPAWN_ERROR_NOTDIR:
		return ENOTDIR;
	case G_SPAWN_ERROR_LOOP:
		return ELOOP;
	case G_SPAWN_ERROR_NAMETOOLONG:
		return ENAMETOOLONG;
	case G_SPAWN_ERROR_NOMEM:
		return ENOMEM;
	case G_SPAWN_ERROR_TXTBUSY:
		return ETXTBSY;
	case G_SPAWN_ERROR_PERM:
		return EPERM;
	case G_SPAWN_ERROR_ISDIR:
		return EISDIR;
	case G_SPAWN_ERROR_TOO_BIG:
		return E2BIG;
	case G_SPAWN_ERROR_IO:
		return EIO;
	default:
		return EINVAL;
	}
}

static void
runner_run(RunnerConfig *cfg)
{
	Runner r = { 0 };
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) args = NULL;
	g_autofree char *stdin_path = g_build_filename(cfg->unitdir, "stdin", NULL);
	g_autofree char *stdout_path = g_build_filename(cfg->unitdir, "stdout", NULL);
	g_autofree char *program = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	char buf[128];
	int in_fd, out_fd;
	GSource *src;

	signal(SIGPIPE, SIG_IGN); /* work.md 9 pitfall 16 */
	r.cfg = cfg;
	r.status = rc_work_status_new();
	r.ctx = g_main_context_new();
	r.loop = g_main_loop_new(r.ctx, FALSE);

	/* step 1 (T9) */
	if (!rc_work_statusfile_update_basic(cfg->unitdir, r.status, RC_WORK_PENDING,
					     "Not started yet", 0, &error)) {
		rc_log_error("Command runner: %s", error->message);
		runner_exit(255);
	}
	/* step 2 */
	args = rc_shlex_split(cfg->params, &error);
	if (args == NULL)
		runner_fail(&r, error->message);
	/* step 3 */
	src = g_unix_signal_source_new(SIGINT);
	g_source_set_callback(src, on_term, &r, NULL);
	g_source_attach(src, r.ctx);
	g_source_unref(src);
	src = g_unix_signal_source_new(SIGTERM);
	g_source_set_callback(src, on_term, &r, NULL);
	g_source_attach(src, r.ctx);
	g_source_unref(src);
	/* step 4 */
	in_fd = open(stdin_path, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0) {
		int saved = errno;
		g_autofree char *d = g_strdup_printf("open %s: %s", stdin_path,
						     rc_work_errno_text(saved, buf, sizeof(buf)));
		runner_fail(&r, d);
	}
	/* step 5; no O_SYNC (work.md 10 Q3, docs/differences.md) */
	out_fd = open(stdout_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (out_fd < 0) {
		int saved = errno;
		g_autofree char *d = g_strdup_printf("open %s: %s", stdout_path,
						     rc_work_errno_text(saved, buf, sizeof(buf)));
		runner_fail(&r, d);
	}
	/* step 6 */
	if (strchr(cfg->command, '/') == NULL) {
		program = g_find_program_in_path(cfg->command);
		if (program == NULL) {
			g_autofree char *d = g_strdup_printf(
				"exec: \"%s\": executable file not found in $PATH", cfg->command);
			runner_fail(&r, d);
		}
	} else {
		program = g_strdup(cfg->command);
	}
	g_ptr_array_add(argv, program);
	g_ptr_array_add(argv, cfg->command);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, args[i]);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_async_with_pipes_and_fds(
		    NULL, (const char *const *)argv->pdata, NULL,
		    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_FILE_AND_ARGV_ZERO, child_setup, NULL,
		    in_fd, out_fd, out_fd, NULL, NULL, 0, &r.child, NULL, NULL, NULL, &error)) {
		g_autofree char *d =
			g_strdup_printf("fork/exec %s: %s", cfg->command,
					rc_work_errno_text(spawn_error_errno(error), buf,
							   sizeof(buf)));
		runner_fail(&r, d);
	}
	close(in_fd);
	close(out_fd);
	/* step 7 */
	src = g_child_watch_source_new(r.child);
	g_source_set_callback(src, (GSourceFunc)(void (*)(void))child_exited, &r, NULL);
	g_source_attach(src, r.ctx);
	g_source_unref(src);
	src = g_timeout_source_new(RC_RUNNER_STATUS_PERIOD_MS);
	g_source_set_callback(src, periodic_update, &r, NULL);
	g_source_attach(src, r.ctx);
	g_source_unref(src);
	g_main_loop_run(r.loop);
	/* step 8 */
	runner_exit(r.exit_code);
}

static gboolean
runner_start(gpointer data, GError **error)
{
	runner_run(data); /* never returns: the process exits (config.md 10) */
	return TRUE;
}

static const RcParamDesc runner_params[] = {
	{ "command", RC_PARAM_STRING, RC_PARAM_REQUIRED | RC_PARAM_NO_DESC, NULL, NULL },
	{ "params", RC_PARAM_STRING, RC_PARAM_REQUIRED | RC_PARAM_NO_DESC, NULL, NULL },
	{ "unitdir", RC_PARAM_STRING, RC_PARAM_REQUIRED | RC_PARAM_NO_DESC, NULL, NULL },
	{ NULL },
};

static const RcEntityOps runner_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = runner_create,
	.start = runner_start,
	.free = runner_config_free,
};

const RcEntityDesc rc_command_runner_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "command-runner",
	.kind = RC_ENTITY_GLOBAL,
	.flags = RC_ENTITY_HIDDEN | RC_ENTITY_SINGLETON,
	.description = "Run a worker command",
	.params = runner_params,
	.ops = &runner_ops,
};
