/* rc-work-statusfile.c: locked status-file operations (work.md 2.4). */
#include "config.h"

#include "rc-work-statusfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

const char *
rc_work_errno_text(int errnum, char *buf, gsize size)
{
	const char *text = g_strerror(errnum);
	g_strlcpy(buf, text, size);
	if (buf[0] != '\0' && buf[1] != '\0' && g_ascii_islower(buf[1]))
		buf[0] = g_ascii_tolower(buf[0]);
	return buf;
}

/* Steps 1-3 of work.md 2.4: open status.lock, flock(LOCK_EX), truncate. */
static int
lock_status(const char *dir, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "status.lock", NULL);
	char buf[128];
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "open %s: %s",
			    path, rc_work_errno_text(saved, buf, sizeof(buf)));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		int saved = errno;
		if (saved == EINTR)
			continue;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "flock %s: %s",
			    path, rc_work_errno_text(saved, buf, sizeof(buf)));
		close(fd);
		return -1;
	}
	if (ftruncate(fd, 0) < 0) {
		/* harmless: the lock file is always empty */
	}
	return fd;
}

static void
unlock_status(int fd)
{
	if (fd < 0)
		return;
	flock(fd, LOCK_UN);
	close(fd);
}

static gboolean
read_status(const char *dir, char **contents, gsize *len, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "status", NULL);
	char buf[128];
	struct stat st;
	int fd;
	g_autoptr(GString) data = NULL;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "open %s: %s",
			    path, rc_work_errno_text(saved, buf, sizeof(buf)));
		return FALSE;
	}
	if (fstat(fd, &st) == 0 && st.st_size > RC_WORK_STATUS_MAX_BYTES) {
		close(fd);
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "read %s: larger than %d bytes", path, RC_WORK_STATUS_MAX_BYTES);
		return FALSE;
	}
	data = g_string_sized_new(256);
	for (;;) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			close(fd);
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
				    "read %s: %s", path,
				    rc_work_errno_text(saved, buf, sizeof(buf)));
			return FALSE;
		}
		if (n == 0)
			break;
		g_string_append_len(data, chunk, n);
		if (data->len > RC_WORK_STATUS_MAX_BYTES) {
			close(fd);
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
				    "read %s: larger than %d bytes", path,
				    RC_WORK_STATUS_MAX_BYTES);
			return FALSE;
		}
	}
	close(fd);
	*len = data->len;
	*contents = g_string_free(g_steal_pointer(&data), FALSE);
	return TRUE;
}

/* In place, like Go (work.md 2.4): reuses the file's own blocks, so it still
 * works on a full file system where the atomic write cannot get a new file. */
static gboolean
write_in_place(const char *path, const char *text, gsize len)
{
	gsize done = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return FALSE;
	if (ftruncate(fd, 0) < 0) {
		close(fd);
		return FALSE;
	}
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return FALSE;
		}
		done += (gsize)n;
	}
	return close(fd) == 0;
}

static gboolean
write_status(const char *dir, const RcWorkStatus *status, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "status", NULL);
	gsize len = 0;
	g_autofree char *text = rc_work_status_to_file(status, &len);
	g_autoptr(GError) local = NULL;

	if (g_file_set_contents_full(path, text, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				     &local))
		return TRUE;
	if ((g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOSPC) ||
	     g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_FAILED)) &&
	    write_in_place(path, text, len))
		return TRUE;
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

gboolean
rc_work_statusfile_load(const char *dir, RcWorkStatus *status, GError **error)
{
	g_autofree char *contents = NULL;
	gsize len = 0;
	gboolean ok;
	int fd = lock_status(dir, error);

	if (fd < 0)
		return FALSE;
	ok = read_status(dir, &contents, &len, error) &&
	     rc_work_status_parse(status, (const guint8 *)contents, len, error);
	unlock_status(fd);
	return ok;
}

gboolean
rc_work_statusfile_save(const char *dir, const RcWorkStatus *status, GError **error)
{
	gboolean ok;
	int fd = lock_status(dir, error);

	if (fd < 0)
		return FALSE;
	ok = write_status(dir, status, error);
	unlock_status(fd);
	return ok;
}

gboolean
rc_work_statusfile_update(const char *dir, RcWorkStatus *status, RcWorkStatusEditFunc edit,
			  gpointer user_data, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "status", NULL);
	g_autofree char *contents = NULL;
	gsize len = 0;
	GStatBuf st;
	int fd = lock_status(dir, error);

	if (fd < 0)
		return FALSE;
	if (g_stat(path, &st) == 0 && st.st_size > 0) {
		g_autoptr(RcWorkStatus) copy = rc_work_status_copy(status);
		if (!read_status(dir, &contents, &len, error) ||
		    !rc_work_status_parse(copy, (const guint8 *)contents, len, error)) {
			unlock_status(fd);
			return FALSE;
		}
		rc_work_status_clear_extra(status);
		g_free(status->detail);
		g_free(status->work_type);
		*status = *copy;
		/* the fields now belong to `status` */
		memset(copy, 0, sizeof(*copy));
	}
	if (edit != NULL)
		edit(status, user_data);
	if (!write_status(dir, status, error)) {
		unlock_status(fd);
		return FALSE;
	}
	unlock_status(fd);
	return TRUE;
}

typedef struct {
	gint64 state;
	const char *detail;
	gint64 size;
} BasicEdit;

static void
basic_edit(RcWorkStatus *status, gpointer user_data)
{
	BasicEdit *b = user_data;
	status->state = b->state;
	rc_work_status_set_detail(status, b->detail);
	if (b->size != -1)
		status->stdout_size = b->size;
}

gboolean
rc_work_statusfile_update_basic(const char *dir, RcWorkStatus *status, gint64 state,
				const char *detail, gint64 stdout_size, GError **error)
{
	BasicEdit b = { state, detail, stdout_size };
	return rc_work_statusfile_update(dir, status, basic_edit, &b, error);
}

gint64
rc_work_statusfile_stdout_size(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "stdout", NULL);
	GStatBuf st;
	if (g_stat(path, &st) != 0)
		return 0;
	return (gint64)st.st_size;
}
