/* fuzz-main.c: replay a fuzz target over files, so every fuzz-<parser>.c is
 * also a test of the `fuzz` suite (fwupd's and systemd's fuzzer main).
 * Usage: fuzz-<parser> PATH...; a directory means every regular file in it
 * (sorted by name). Prints "N passed, 0 failed"; a crash ends the run. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static gboolean
run_file(const char *path, guint *passed)
{
	g_autofree char *contents = NULL;
	gsize len = 0;
	g_autoptr(GError) error = NULL;
	if (!g_file_get_contents(path, &contents, &len, &error)) {
		fprintf(stderr, "fuzz-main: %s\n", error->message);
		return FALSE;
	}
	/* A private copy of exactly `len` bytes, so ASan sees reads past the end. */
	g_autofree guint8 *copy = g_memdup2(contents, len);
	LLVMFuzzerTestOneInput(copy, len);
	(*passed)++;
	return TRUE;
}

static gint
compare_str(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static gboolean
run_path(const char *path, guint *passed)
{
	if (!g_file_test(path, G_FILE_TEST_IS_DIR))
		return run_file(path, passed);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
	if (dir == NULL) {
		fprintf(stderr, "fuzz-main: %s\n", error->message);
		return FALSE;
	}
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_build_filename(path, name, NULL));
	g_ptr_array_sort(names, compare_str);
	for (guint i = 0; i < names->len; i++) {
		const char *file = names->pdata[i];
		if (!g_file_test(file, G_FILE_TEST_IS_REGULAR))
			continue;
		if (!run_file(file, passed))
			return FALSE;
	}
	return TRUE;
}

int
main(int argc, char **argv)
{
	guint passed = 0;
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (!run_path(argv[i], &passed))
			return 1;
	}
	printf("%u passed, 0 failed\n", passed);
	return 0;
}
