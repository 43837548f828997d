/* fuzz-work-sign.c: the receiver side of signed work (remote-work.md 5.4):
 * the whole input as a JWT checked against a fixed RSA public key, and as Go
 * duration text (remote-work.md 9).  Nothing may crash, leak or hit UB; a
 * token can only verify if it was signed by the key (seed "valid"). */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "rc-work-sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1024-bit test key; its private half signed the seeds in corpus/work-sign. */
static const char public_key_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDC/e5njeBOQ7tkTtlUHnm2bXrd\n"
	"KexAPDiZN9gqAcOamsxsM6ejSE55wWXjwgPu3pVZnB/bKd5fhk8tj8CaxVGzAmgL\n"
	"lZFHjBK8Ba68++mnE3UZJf9mXjg+ZRoiS+2APBvUMF3up2ZePoL3FSKJKvz0KEet\n"
	"WrQ6eHXLxGK7os1+hwIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

/* Fixed "now" (2025-01-01) so seeds behave the same every run. */
#define FUZZ_NOW_US (G_GINT64_CONSTANT(1735689600) * G_USEC_PER_SEC)

static const char *
key_path(void)
{
	/* written once per process; a fuzz target is a single-threaded test
	 * program, not the daemon */
	static char *path;
	if (path == NULL) {
		g_autoptr(GError) error = NULL;
		int fd = g_file_open_tmp("fuzz-work-sign-XXXXXX.pem", &path, &error);
		g_assert_no_error(error);
		g_assert_cmpint(fd, >=, 0);
		close(fd);
		g_assert_true(g_file_set_contents(path, public_key_pem, -1, NULL));
	}
	return path;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) derror = NULL;
	gint64 us = 0;

	if (rc_work_sign_verify(key_path(), text, "fuzz", FUZZ_NOW_US, &error))
		g_assert_no_error(error);
	else
		g_assert_nonnull(error);
	if (rc_go_duration_parse(text, &us, &derror)) {
		g_autofree char *again = rc_go_duration_string(us * 1000);
		gint64 us2 = 0;
		g_assert_no_error(derror);
		/* what we print parses back to the same value */
		g_assert_true(rc_go_duration_parse(again, &us2, NULL));
		g_assert_cmpint(us2, ==, us);
	} else {
		g_assert_nonnull(derror);
	}
	return 0;
}
