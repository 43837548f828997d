/* fuzz-control.c: the control command-line parser (control.md 2.2-2.3) and
 * the Go JSON encoder run on whatever it decoded. */
#include "config.h"

#include <stdint.h>

#include "rc-control-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(RcControlLine) line = rc_control_line_parse(data, size);

	if (line->kind == RC_CONTROL_LINE_JSON) {
		g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), line->json);
		g_autofree char *text = rc_control_json_to_string(node);
		g_autoptr(GVariant) v = rc_control_json_to_variant(node);
		g_autoptr(JsonNode) back = rc_control_variant_to_json(v);
		g_autofree char *text2 = rc_control_json_to_string(back);
		g_assert_true(g_utf8_validate(text, -1, NULL));
		g_assert_true(g_utf8_validate(text2, -1, NULL));
	} else if (line->kind == RC_CONTROL_LINE_TEXT) {
		g_auto(GStrv) tokens = rc_control_split_spaces(line->rest);
		g_assert_true(tokens[0] != NULL);
	}
	return 0;
}
