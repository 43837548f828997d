/* rc-gostrconv.c: Go strconv / fmt compatibility (config.md 5). */
#include "config.h"

#include "rc-gostrconv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "receptor/receptor-plugin.h"

char *
rc_go_quote(const char *s)
{
	GString *out = g_string_new("\"");
	const char *p = s;
	while (*p) {
		gunichar c = g_utf8_get_char_validated(p, -1);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_printf(out, "\\x%02x", (guchar)*p);
			p++;
			continue;
		}
		const char *next = g_utf8_next_char(p);
		switch (c) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\a':
			g_string_append(out, "\\a");
			break;
		case '\b':
			g_string_append(out, "\\b");
			break;
		case '\f':
			g_string_append(out, "\\f");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		case '\v':
			g_string_append(out, "\\v");
			break;
		default:
			if (c < ' ' || c == 0x7f)
				g_string_append_printf(out, "\\x%02x", c);
			else if (c == ' ' || (c >= 0x80 ? g_unichar_isprint(c) : c < 0x7f))
				g_string_append_len(out, p, next - p);
			else if (c < 0x10000)
				g_string_append_printf(out, "\\u%04x", c);
			else
				g_string_append_printf(out, "\\U%08x", c);
			break;
		}
		p = next;
	}
	g_string_append_c(out, '"');
	return g_string_free(out, FALSE);
}

static gboolean
num_error(const char *fn, const char *s, gboolean range, GError **error)
{
	g_autofree char *q = rc_go_quote(s);
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "strconv.%s: parsing %s: %s", fn, q,
		    range ? "value out of range" : "invalid syntax");
	return FALSE;
}

static char
lower(char c)
{
	return g_ascii_tolower(c);
}

/* strconv.underscoreOK */
static gboolean
underscore_ok(const char *s)
{
	char saw = '^';
	gsize i = 0, n = strlen(s);
	if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	gboolean hex = FALSE;
	if (n >= 2 && s[0] == '0' && (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
		i = 2;
		saw = '0';
		hex = lower(s[1]) == 'x';
	}
	for (; i < n; i++) {
		if ((s[i] >= '0' && s[i] <= '9') || (hex && lower(s[i]) >= 'a' && lower(s[i]) <= 'f')) {
			saw = '0';
			continue;
		}
		if (s[i] == '_') {
			if (saw != '0')
				return FALSE;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return FALSE;
		saw = '!';
	}
	return saw != '_';
}

/* strconv.ParseUint(s, 0, 64): 0 ok, 1 syntax error, 2 range error. */
static int
parse_uint0(const char *s, guint64 *out)
{
	const char *s0 = s;
	guint64 base = 10;
	if (*s == '\0')
		return 1;
	if (s[0] == '0') {
		gsize n = strlen(s);
		if (n >= 3 && lower(s[1]) == 'b') {
			base = 2;
			s += 2;
		} else if (n >= 3 && lower(s[1]) == 'o') {
			base = 8;
			s += 2;
		} else if (n >= 3 && lower(s[1]) == 'x') {
			base = 16;
			s += 2;
		} else {
			base = 8;
			s += 1;
		}
	}
	guint64 cutoff = G_MAXUINT64 / base + 1;
	gboolean underscores = FALSE;
	guint64 v = 0;
	for (; *s; s++) {
		char c = *s;
		guint64 d;
		if (c == '_') {
			underscores = TRUE;
			continue;
		} else if (c >= '0' && c <= '9') {
			d = (guint64)(c - '0');
		} else if (lower(c) >= 'a' && lower(c) <= 'z') {
			d = (guint64)(lower(c) - 'a' + 10);
		} else {
			return 1;
		}
		if (d >= base)
			return 1;
		if (v >= cutoff)
			return 2;
		v *= base;
		guint64 v1 = v + d;
		if (v1 < v)
			return 2;
		v = v1;
	}
	if (underscores && !underscore_ok(s0))
		return 1;
	*out = v;
	return 0;
}

gboolean
rc_go_parse_uint(const char *s, guint64 *out)
{
	return parse_uint0(s, out) == 0;
}

gboolean
rc_go_parse_int(const char *s, gint64 *out, GError **error)
{
	const char *p = s;
	gboolean neg = FALSE;
	guint64 un = 0;
	if (*p == '\0')
		return num_error("ParseInt", s, FALSE, error);
	if (*p == '+') {
		p++;
	} else if (*p == '-') {
		neg = TRUE;
		p++;
	}
	int rc = parse_uint0(p, &un);
	if (rc == 1)
		return num_error("ParseInt", s, FALSE, error);
	if (rc == 2)
		return num_error("ParseInt", s, TRUE, error);
	guint64 cutoff = (guint64)1 << 63;
	if (!neg && un >= cutoff)
		return num_error("ParseInt", s, TRUE, error);
	if (neg && un > cutoff)
		return num_error("ParseInt", s, TRUE, error);
	*out = neg ? (gint64)(0 - un) : (gint64)un;
	return TRUE;
}

/* Go's strconv "special": [+-]inf, [+-]infinity, nan (any case), whole string. */
static gboolean
parse_special(const char *s, double *out)
{
	const char *p = s;
	double sign = 1;
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (g_ascii_strcasecmp(p, "inf") == 0 || g_ascii_strcasecmp(p, "infinity") == 0) {
			*out = sign * INFINITY;
			return TRUE;
		}
		return FALSE;
	}
	if (g_ascii_strcasecmp(p, "inf") == 0 || g_ascii_strcasecmp(p, "infinity") == 0) {
		*out = INFINITY;
		return TRUE;
	}
	if (g_ascii_strcasecmp(p, "nan") == 0) {
		*out = NAN;
		return TRUE;
	}
	return FALSE;
}

/* Go's readFloat syntax check: the whole string must be a Go float literal
 * (decimal or hex with mandatory p exponent, '_' between digits). */
static gboolean
float_syntax_ok(const char *s)
{
	gsize i = 0, n = strlen(s);
	gboolean hex = FALSE, sawdot = FALSE, sawdigits = FALSE, underscores = FALSE;
	char exp_char = 'e';
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i + 2 < n && s[i] == '0' && lower(s[i + 1]) == 'x') {
		hex = TRUE;
		exp_char = 'p';
		i += 2;
	}
	for (; i < n; i++) {
		char c = s[i];
		if (c == '_') {
			underscores = TRUE;
			continue;
		} else if (c == '.') {
			if (sawdot)
				break;
			sawdot = TRUE;
			continue;
		} else if (c >= '0' && c <= '9') {
			sawdigits = TRUE;
			continue;
		} else if (hex && lower(c) >= 'a' && lower(c) <= 'f') {
			sawdigits = TRUE;
			continue;
		}
		break;
	}
	if (!sawdigits)
		return FALSE;
	if (i < n && lower(s[i]) == exp_char) {
		i++;
		if (i >= n)
			return FALSE;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return FALSE;
		for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++) {
			if (s[i] == '_')
				underscores = TRUE;
		}
	} else if (hex) {
		return FALSE;
	}
	if (i != n)
		return FALSE;
	if (underscores) {
		g_autofree char *prefix = g_strndup(s, i);
		if (!underscore_ok(prefix))
			return FALSE;
	}
	return TRUE;
}

gboolean
rc_go_parse_float(const char *s, double *out, GError **error)
{
	if (parse_special(s, out))
		return TRUE;
	if (!float_syntax_ok(s))
		return num_error("ParseFloat", s, FALSE, error);
	GString *clean = g_string_new(NULL);
	for (const char *p = s; *p; p++) {
		if (*p != '_')
			g_string_append_c(clean, *p);
	}
	g_autofree char *text = g_string_free(clean, FALSE);
	errno = 0;
	char *end = NULL;
	double v = g_ascii_strtod(text, &end);
	if (end == NULL || *end != '\0')
		return num_error("ParseFloat", s, FALSE, error);
	if (isinf(v)) {
		*out = v;
		return num_error("ParseFloat", s, TRUE, error);
	}
	*out = v;
	return TRUE;
}

gboolean
rc_go_parse_bool(const char *s, gboolean *out, GError **error)
{
	static const char *const yes[] = {"1", "t", "T", "Y", "true", "TRUE", "True", "yes", "Yes", "YES"};
	static const char *const no[] = {"0", "f", "F", "N", "false", "FALSE", "False", "no", "No", "NO"};
	for (gsize i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = TRUE;
			return TRUE;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = FALSE;
			return TRUE;
		}
	}
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "could not parse %s as boolean", s);
	return FALSE;
}

static char *
format_nonfinite(double d)
{
	if (isnan(d))
		return g_strdup("NaN");
	return g_strdup(d > 0 ? "+Inf" : "-Inf");
}

char *
rc_go_format_float_v(double d)
{
	if (!isfinite(d))
		return format_nonfinite(d);
	if (d == 0)
		return g_strdup(signbit(d) ? "-0" : "0");
	/* Shortest digits that round-trip (Go's FormatFloat(f, 'g', -1, 64)). */
	char buf[64];
	int prec;
	for (prec = 1; prec <= 17; prec++) {
		g_snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
		if (g_ascii_strtod(buf, NULL) == d)
			break;
	}
	/* buf = [-]D.DDDDe[+-]XX */
	const char *e = strchr(buf, 'e');
	int exp10 = atoi(e + 1);
	GString *digits = g_string_new(NULL);
	gboolean neg = buf[0] == '-';
	for (const char *p = buf + (neg ? 1 : 0); p < e; p++) {
		if (*p != '.')
			g_string_append_c(digits, *p);
	}
	GString *out = g_string_new(neg ? "-" : "");
	/* fmt %v: %e when the exponent is < -4 or >= 21 (eprec for shortest %v). */
	if (exp10 < -4 || exp10 >= 21) {
		g_string_append_c(out, digits->str[0]);
		if (digits->len > 1) {
			g_string_append_c(out, '.');
			g_string_append(out, digits->str + 1);
		}
		g_string_append_printf(out, "e%c%02d", exp10 < 0 ? '-' : '+', ABS(exp10));
	} else if (exp10 < 0) {
		g_string_append(out, "0.");
		for (int i = 0; i < -exp10 - 1; i++)
			g_string_append_c(out, '0');
		g_string_append(out, digits->str);
	} else {
		for (int i = 0; i <= exp10; i++)
			g_string_append_c(out, (gsize)i < digits->len ? digits->str[i] : '0');
		if ((gsize)exp10 + 1 < digits->len) {
			g_string_append_c(out, '.');
			g_string_append(out, digits->str + exp10 + 1);
		}
	}
	g_string_free(digits, TRUE);
	return g_string_free(out, FALSE);
}

char *
rc_go_format_float_f(double d)
{
	if (!isfinite(d))
		return format_nonfinite(d);
	char buf[G_ASCII_DTOSTR_BUF_SIZE + 400];
	g_ascii_formatd(buf, sizeof buf, "%f", d);
	return g_strdup(buf);
}
