/* ws-meter.h: a pollable output stream that counts the bytes written through
 * it, so the websocket link knows how much libsoup still holds in its
 * (unbounded) outgoing queue and can answer RC_LINK_SEND_FULL (STYLE 4). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#define WS_TYPE_METER (ws_meter_get_type())
G_DECLARE_FINAL_TYPE(WsMeter, ws_meter, WS, METER, GFilterOutputStream)

/* Called after each successful write with the bytes written (may be
 * re-entered from inside libsoup: defer any reaction to the main loop). */
typedef void (*WsMeterFunc)(gpointer user_data, gsize written);

/* (transfer full) wraps `base`, which must be pollable; it is not closed
 * with the meter (the link closes its base stream itself). */
GOutputStream *ws_meter_new(GOutputStream *base, WsMeterFunc func, gpointer user_data);
/* Stop calling the function (the link is going away). */
void ws_meter_detach(WsMeter *meter);
guint64 ws_meter_get_written(WsMeter *meter);
