/* rc-test.c: harness for unit and integration tests (see rc-test.h). */
#include "rc-test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

double
rc_test_scale(double seconds)
{
	const char *s = g_getenv("RC_TEST_SLOWDOWN");
	double k = s ? g_ascii_strtod(s, NULL) : 1.0;
	if (k < 1.0)
		k = 1.0;
	return seconds * k;
}

gboolean
rc_test_wait_until(RcTestCheck check, gpointer data, const char *what, double seconds)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)(rc_test_scale(seconds) * G_USEC_PER_SEC);
	GMainContext *ctx = g_main_context_default();
	while (!check(data)) {
		if (g_get_monotonic_time() > deadline) {
			g_autofree char *msg =
			    g_strdup_printf("timed out after %.1f s waiting for: %s",
					    rc_test_scale(seconds), what);
			g_test_message("%s", msg);
			g_test_fail_printf("%s", msg);
			return FALSE;
		}
		/* Wake at least every 20 ms so checks on external state (files,
		 * processes) are re-evaluated. */
		GSource *t = g_timeout_source_new(20);
		g_source_set_dummy_callback(t);
		g_source_attach(t, ctx);
		g_main_context_iteration(ctx, TRUE);
		g_source_destroy(t);
		g_source_unref(t);
	}
	return TRUE;
}

static guint16
free_port(GSocketType type, GSocketProtocol proto)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_IPV4, type, proto, &error);
	g_assert_no_error(error);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	g_socket_bind(sock, addr, FALSE, &error);
	g_assert_no_error(error);
	g_autoptr(GSocketAddress) local = g_socket_get_local_address(sock, &error);
	g_assert_no_error(error);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
}

guint16
rc_test_free_port(void)
{
	return free_port(G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP);
}

guint16
rc_test_free_udp_port(void)
{
	return free_port(G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP);
}

char *
rc_test_make_tmpdir(const char *prefix)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *tmpl = g_strdup_printf("%s-XXXXXX", prefix ? prefix : "rc-test");
	char *dir = g_dir_make_tmp(tmpl, &error);
	g_assert_no_error(error);
	return dir;
}

void
rc_test_rmtree(const char *path)
{
	if (path == NULL)
		return;
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	if (dir != NULL) {
		const char *name;
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
				rc_test_rmtree(child);
			else
				g_unlink(child);
		}
	}
	g_rmdir(path);
}

const char *
rc_test_receptor_path(void)
{
	const char *p = g_getenv("RC_RECEPTOR");
	g_assert_nonnull(p);
	return p;
}

char *
rc_test_build_path(const char *relative)
{
	const char *root = g_getenv("RC_BUILD_ROOT");
	g_assert_nonnull(root);
	return g_build_filename(root, relative, NULL);
}

struct _RcTestNode {
	char *name;
	char *dir;
	char *log_path;
	GPid pid;
	gboolean exited;
	int status;
};

static void
child_setup(gpointer data)
{
	/* Own process group, so a test can kill the node's whole tree; and die
	 * with the test, so an aborted test leaves no daemon behind. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

RcTestNode *
rc_test_node_start_argv(const char *dir, const char *name, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_ptr_array_add(argv, (gpointer)rc_test_receptor_path());
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);

	RcTestNode *node = g_new0(RcTestNode, 1);
	node->name = g_strdup(name);
	node->dir = g_strdup(dir);
	node->log_path = g_strdup_printf("%s/%s.log", dir, name);
	int fd = g_open(node->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	g_assert_cmpint(fd, >=, 0);

	g_autoptr(GError) error = NULL;
	gint fds[3] = {-1, fd, fd};
	int devnull = g_open("/dev/null", O_RDONLY | O_CLOEXEC, 0);
	fds[0] = devnull;
	gboolean ok = g_spawn_async_with_pipes_and_fds(
	    dir, (const char *const *)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, child_setup,
	    NULL, fds[0], fds[1], fds[2], NULL, NULL, 0, &node->pid, NULL, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	close(fd);
	close(devnull);
	return node;
}

RcTestNode *
rc_test_node_start(const char *dir, const char *name, const char *yaml)
{
	g_autofree char *path = g_strdup_printf("%s/%s.yml", dir, name);
	g_autoptr(GError) error = NULL;
	g_file_set_contents(path, yaml, -1, &error);
	g_assert_no_error(error);
	const char *args[] = {"-c", path, NULL};
	return rc_test_node_start_argv(dir, name, args);
}

char *
rc_test_node_log(RcTestNode *node)
{
	char *contents = NULL;
	if (!g_file_get_contents(node->log_path, &contents, NULL, NULL))
		return g_strdup("");
	return contents;
}

gboolean
rc_test_node_log_contains(RcTestNode *node, const char *needle)
{
	g_autofree char *log = rc_test_node_log(node);
	return strstr(log, needle) != NULL;
}

typedef struct {
	RcTestNode *node;
	const char *needle;
} LogWait;

static gboolean
log_check(gpointer data)
{
	LogWait *w = data;
	return rc_test_node_log_contains(w->node, w->needle);
}

gboolean
rc_test_node_wait_log(RcTestNode *node, const char *needle, double seconds)
{
	LogWait w = {node, needle};
	g_autofree char *what = g_strdup_printf("'%s' in the log of %s", needle, node->name);
	gboolean ok = rc_test_wait_until(log_check, &w, what, seconds);
	if (!ok)
		rc_test_node_dump_log(node);
	return ok;
}

gboolean
rc_test_node_exited(RcTestNode *node, int *status)
{
	if (!node->exited) {
		int st = 0;
		pid_t r = waitpid(node->pid, &st, WNOHANG);
		if (r == node->pid) {
			node->exited = TRUE;
			node->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			g_spawn_close_pid(node->pid);
		}
	}
	if (node->exited && status)
		*status = node->status;
	return node->exited;
}

static gboolean
exited_check(gpointer data)
{
	return rc_test_node_exited(data, NULL);
}

int
rc_test_node_wait_exit(RcTestNode *node, double seconds)
{
	g_autofree char *what = g_strdup_printf("%s to exit", node->name);
	if (!rc_test_wait_until(exited_check, node, what, seconds)) {
		rc_test_node_dump_log(node);
		return -1;
	}
	return node->status;
}

int
rc_test_node_stop(RcTestNode *node)
{
	if (rc_test_node_exited(node, NULL))
		return node->status;
	kill(node->pid, SIGTERM);
	int st = rc_test_node_wait_exit(node, 10);
	if (st == -1) {
		rc_test_node_kill(node);
		return -1;
	}
	return st;
}

void
rc_test_node_kill(RcTestNode *node)
{
	if (rc_test_node_exited(node, NULL))
		return;
	kill(node->pid, SIGKILL);
	int st = 0;
	if (waitpid(node->pid, &st, 0) == node->pid) {
		node->exited = TRUE;
		node->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		g_spawn_close_pid(node->pid);
	}
}

GPid
rc_test_node_pid(RcTestNode *node)
{
	return node->pid;
}

const char *
rc_test_node_name(RcTestNode *node)
{
	return node->name;
}

const char *
rc_test_node_dir(RcTestNode *node)
{
	return node->dir;
}

void
rc_test_node_dump_log(RcTestNode *node)
{
	g_autofree char *log = rc_test_node_log(node);
	gsize len = strlen(log);
	const char *tail = len > 4000 ? log + len - 4000 : log;
	g_printerr("---- log of %s (tail) ----\n%s\n---- end of log of %s ----\n", node->name, tail,
		   node->name);
}

void
rc_test_node_free(RcTestNode *node)
{
	if (node == NULL)
		return;
	if (!rc_test_node_exited(node, NULL))
		rc_test_node_stop(node);
	/* Daemons are sanitizer builds in build-san: a report in the log (leak at
	 * exit, use-after-free, UB) fails the test that ran the node. */
	{
		g_autofree char *log = rc_test_node_log(node);
		if (strstr(log, "ERROR: AddressSanitizer") != NULL ||
		    strstr(log, "ERROR: LeakSanitizer") != NULL ||
		    strstr(log, "runtime error:") != NULL) {
			rc_test_node_dump_log(node);
			g_test_fail_printf("node %s: sanitizer report in its log", node->name);
		}
	}
	g_free(node->name);
	g_free(node->dir);
	g_free(node->log_path);
	g_free(node);
}

typedef struct {
	GMainLoop *loop;
	GSubprocess *proc;
	char *out;
	char *err;
	gboolean done;
	GError *error;
} RunData;

static void
run_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RunData *d = user_data;
	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), res, &d->out, &d->err,
					     &d->error);
	d->done = TRUE;
}

static gboolean
run_check(gpointer data)
{
	return ((RunData *)data)->done;
}

int
rc_test_run(const char *const *argv, const char *input, double seconds, char **out, char **err)
{
	g_autoptr(GError) error = NULL;
	GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
				 G_SUBPROCESS_FLAGS_STDIN_PIPE;
	g_autoptr(GSubprocess) proc = g_subprocess_newv(argv, flags, &error);
	if (proc == NULL) {
		g_test_message("spawn %s: %s", argv[0], error->message);
		return -1;
	}
	RunData d = {0};
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	g_subprocess_communicate_utf8_async(proc, input ? input : "", cancel, run_done, &d);
	g_autofree char *what = g_strdup_printf("command %s to finish", argv[0]);
	if (!rc_test_wait_until(run_check, &d, what, seconds)) {
		g_subprocess_force_exit(proc);
		g_cancellable_cancel(cancel);
		rc_test_wait_until(run_check, &d, "cancelled command", 10);
		g_free(d.out);
		g_free(d.err);
		g_clear_error(&d.error);
		return -1;
	}
	if (d.error != NULL) {
		g_test_message("communicate %s: %s", argv[0], d.error->message);
		g_clear_error(&d.error);
	}
	g_subprocess_wait(proc, NULL, NULL);
	int code;
	if (g_subprocess_get_if_exited(proc))
		code = g_subprocess_get_exit_status(proc);
	else
		code = 128 + g_subprocess_get_term_sig(proc);
	if (out)
		*out = d.out ? d.out : g_strdup("");
	else
		g_free(d.out);
	if (err)
		*err = d.err ? d.err : g_strdup("");
	else
		g_free(d.err);
	return code;
}

char *
rc_test_unix_exchange(const char *path, const char *request, const char *until, double seconds,
		      GError **error)
{
	g_autoptr(GSocket) sock =
	    g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
	if (sock == NULL)
		return NULL;
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	if (!g_socket_connect(sock, addr, NULL, error))
		return NULL;
	g_socket_set_timeout(sock, (guint)MAX(1.0, rc_test_scale(seconds)));
	if (request != NULL) {
		gsize len = strlen(request), off = 0;
		while (off < len) {
			gssize n = g_socket_send(sock, request + off, len - off, NULL, error);
			if (n < 0)
				return NULL;
			off += (gsize)n;
		}
	}
	g_autoptr(GString) got = g_string_new(NULL);
	char buf[4096];
	for (;;) {
		if (until != NULL && strstr(got->str, until) != NULL)
			break;
		gssize n = g_socket_receive(sock, buf, sizeof buf, NULL, error);
		if (n < 0)
			return NULL;
		if (n == 0)
			break;
		g_string_append_len(got, buf, n);
	}
	return g_string_free(g_steal_pointer(&got), FALSE);
}
