/* rc-copy.h: copy one input stream into one output stream on the main loop.
 *
 * g_output_stream_splice_async hands the copy to a GIO worker thread that
 * reads synchronously whenever the input has no async read of its own.  A
 * GBufferedInputStream (a control session's input) is such a stream: its
 * synchronous read returns the bytes it holds only after filling again from
 * the connection, so bytes that arrived together with a command line wait
 * for more input or EOF; and a synchronous read of a mesh stream (RcStream)
 * from another thread is not allowed at all.  This copier drains a buffered
 * input's buffer first, then reads its base stream with ordinary async reads
 * (pollable streams are polled on the caller's main context), writes each
 * chunk completely before reading the next, and never holds more than one
 * buffer of `buffer_size` bytes. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	RC_COPY_NONE = 0,
	/* at the input's EOF close `out` before finishing (a mesh stream's
	 * output: FIN); without it `out` stays open */
	RC_COPY_CLOSE_OUTPUT = 1 << 0,
} RcCopyFlags;

/* Copy `in` to its EOF into `out` in chunks of at most `buffer_size` bytes
 * (> 0; the caller's bounded constant).  Takes references on both streams
 * until the copy ends; neither may have another operation pending meanwhile.
 * Cancelling `cancellable` (nullable) stops a pending read or write.  Finish
 * with rc_copy_finish() in `callback`, which runs on the thread-default main
 * context of this call. */
void rc_copy_async(GInputStream *in, GOutputStream *out, gsize buffer_size, RcCopyFlags flags,
		   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
/* Bytes copied, or -1 with `error` set (a read, write or close error, or
 * G_IO_ERROR_CANCELLED).  (out) (optional) `copied` gets the bytes whose
 * writes completed, also when the copy failed (after a cancel GIO may report
 * a chunk it already wrote as cancelled: a lower bound then). */
gint64 rc_copy_finish(GAsyncResult *result, gint64 *copied, GError **error);

/* Shut the write side of `stream` so its peer reads EOF while `stream` can
 * still be read: SHUT_WR on a GSocketConnection (closing its output stream
 * would not reach the socket), otherwise close the output stream (a mesh
 * stream: FIN; TLS: close_notify).  Finish with rc_copy_shutdown_write_finish(). */
void rc_copy_shutdown_write_async(GIOStream *stream, GCancellable *cancellable,
				  GAsyncReadyCallback callback, gpointer user_data);
gboolean rc_copy_shutdown_write_finish(GAsyncResult *result, GError **error);

G_END_DECLS
