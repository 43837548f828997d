/* rc-work-sign.h: work signing (remote-work.md 5): the `work-signing` and
 * `work-verification` core entities, RS512 JWT creation and verification
 * (GnuTLS + nettle base64url), Go's PEM rules and Go duration text. */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "rc-core.h"

/* Default token lifetime when tokenexpiration is not given (remote-work.md
 * 5.1, Q2: Go panics; receptor-c uses 5 minutes). */
#define RC_WORK_SIGN_DEFAULT_LIFETIME_US (G_GINT64_CONSTANT(5) * 60 * G_USEC_PER_SEC)
/* Largest key file read (sanity cap). */
#define RC_WORK_SIGN_MAX_KEY_FILE (1024 * 1024)

extern const RcEntityDesc rc_work_signing_entity;
extern const RcEntityDesc rc_work_verification_entity;

/* Configured key paths (transfer none) (nullable). */
const char *rc_work_sign_verify_key_path(RcCore *core);
const char *rc_work_sign_private_key_path(RcCore *core, gint64 *lifetime_us);

/* Go's time.ParseDuration (remote-work.md 9); value in microseconds (ns
 * precision is truncated). Errors carry Go's texts. */
gboolean rc_go_duration_parse(const char *text, gint64 *out_us, GError **error);
/* Go's time.Duration.String of `ns` nanoseconds. (transfer full) */
char *rc_go_duration_string(gint64 ns);

/* RS512 token for `audience` (remote-work.md 5.3), `now_us` real time.
 * (transfer full) */
char *rc_work_sign_token(const char *private_key_path, const char *audience, gint64 lifetime_us,
			 gint64 now_us, GError **error);
/* Receiver check of remote-work.md 5.4 steps 3-11: the GError message is the
 * exact reply text. */
gboolean rc_work_sign_verify(const char *public_key_path, const char *token, const char *node_id,
			     gint64 now_us, GError **error);
/* Go's PEM rules (remote-work.md 5.1) on a key file's text; `private` picks
 * the accepted block types. */
gboolean rc_work_sign_check_pem(const char *text, gsize len, gboolean private_key,
				GError **error);
