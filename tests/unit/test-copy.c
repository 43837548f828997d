/* test-copy.c: the main-loop copier (core/rc-copy.h) over pipes: bytes held
 * in a buffered input go out at once, EOF closes the output on request,
 * cancelling stops a copy that waits for input. */
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib.h>

#include "rc-copy.h"
#include "rc-test.h"

#define DEADLINE_S 10.0

typedef struct {
	gboolean done;
	gint64 result;
	gint64 copied;
	GError *error;
} Done;

static void
copy_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Done *d = user_data;
	d->result = rc_copy_finish(res, &d->copied, &d->error);
	d->done = TRUE;
}

static gboolean
is_done(gpointer data)
{
	return ((Done *)data)->done;
}

typedef struct {
	GMemoryOutputStream *out;
	gsize want;
} OutWait;

static gboolean
out_has(gpointer data)
{
	OutWait *w = data;
	return g_memory_output_stream_get_data_size(w->out) >= w->want;
}

/* A pipe's read end as a pollable input stream; the write end in *wfd. */
static GInputStream *
pipe_input(int *wfd)
{
	int fds[2];
	g_autoptr(GError) error = NULL;

	g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, &error));
	g_assert_no_error(error);
	*wfd = fds[1];
	return g_unix_input_stream_new(fds[0], TRUE);
}

static void
write_fd(int fd, const char *text)
{
	gsize len = strlen(text);
	g_assert_cmpint(write(fd, text, len), ==, (gssize)len);
}

static void
test_buffered_bytes_go_out_without_more_input(void)
{
	int wfd;
	g_autoptr(GInputStream) base = pipe_input(&wfd);
	g_autoptr(GInputStream) in = g_buffered_input_stream_new_sized(base, 4096);
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autoptr(GError) error = NULL;
	OutWait w = { G_MEMORY_OUTPUT_STREAM(out), 7 };
	Done d = { 0 };
	const guint8 *buf;
	gsize avail = 0;

	/* a command line and its payload in one write; the writer stays open */
	write_fd(wfd, "connect a b\npayload");
	g_assert_cmpint(g_buffered_input_stream_fill(G_BUFFERED_INPUT_STREAM(in), -1, NULL,
						     &error),
			==, 19);
	buf = g_buffered_input_stream_peek_buffer(G_BUFFERED_INPUT_STREAM(in), &avail);
	g_assert_cmpmem(buf, 12, "connect a b\n", 12);
	g_assert_cmpint(g_input_stream_skip(in, 12, NULL, &error), ==, 12);

	rc_copy_async(in, out, 4, RC_COPY_CLOSE_OUTPUT, NULL, copy_done, &d);
	g_assert_true(rc_test_wait_until(out_has, &w, "the buffered payload copied", DEADLINE_S));
	g_assert_false(d.done);
	g_assert_false(g_output_stream_is_closed(out));

	/* later bytes from the base stream, then EOF closes the output */
	write_fd(wfd, " more");
	w.want = 12;
	g_assert_true(rc_test_wait_until(out_has, &w, "the later bytes copied", DEADLINE_S));
	close(wfd);
	g_assert_true(rc_test_wait_until(is_done, &d, "the copy to end at EOF", DEADLINE_S));
	g_assert_no_error(d.error);
	g_assert_cmpint(d.result, ==, 12);
	g_assert_true(g_output_stream_is_closed(out));
	g_assert_cmpmem(g_memory_output_stream_get_data(G_MEMORY_OUTPUT_STREAM(out)), 12,
			"payload more", 12);
}

static void
test_eof_leaves_output_open_without_flag(void)
{
	int wfd;
	g_autoptr(GInputStream) in = pipe_input(&wfd);
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	Done d = { 0 };

	write_fd(wfd, "abc");
	close(wfd);
	rc_copy_async(in, out, 65536, RC_COPY_NONE, NULL, copy_done, &d);
	g_assert_true(rc_test_wait_until(is_done, &d, "the copy to end at EOF", DEADLINE_S));
	g_assert_no_error(d.error);
	g_assert_cmpint(d.result, ==, 3);
	g_assert_false(g_output_stream_is_closed(out));
}

static void
test_cancel_stops_a_waiting_copy(void)
{
	int wfd;
	g_autoptr(GInputStream) in = pipe_input(&wfd);
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	OutWait w = { G_MEMORY_OUTPUT_STREAM(out), 2 };
	Done d = { 0 };

	write_fd(wfd, "xy");
	rc_copy_async(in, out, 65536, RC_COPY_CLOSE_OUTPUT, cancel, copy_done, &d);
	g_assert_true(rc_test_wait_until(out_has, &w, "the first bytes copied", DEADLINE_S));
	g_cancellable_cancel(cancel);
	g_assert_true(rc_test_wait_until(is_done, &d, "the cancelled copy to end", DEADLINE_S));
	g_assert_error(d.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_cmpint(d.result, ==, -1);
	/* a write GIO finished but reported after the cancel counts as not done */
	g_assert_cmpint(d.copied, <=, 2);
	g_assert_false(g_output_stream_is_closed(out));
	g_clear_error(&d.error);
	close(wfd);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/copy/buffered-bytes-go-out-without-more-input",
			test_buffered_bytes_go_out_without_more_input);
	g_test_add_func("/copy/eof-leaves-output-open-without-close-flag",
			test_eof_leaves_output_open_without_flag);
	g_test_add_func("/copy/cancel-stops-a-copy-waiting-for-input",
			test_cancel_stops_a_waiting_copy);
	return g_test_run();
}
