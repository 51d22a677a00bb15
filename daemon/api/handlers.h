/* Every route handler, by resource. Each file's handlers share its prefix. */
#ifndef HANDLERS_H
#define HANDLERS_H

#include <libpq-fe.h>

#include "router.h"

/* ops.c */
int	ops_health(struct hctx *);
int	ops_ready(struct hctx *);
int	ops_metrics(struct hctx *);
/* net/internal.c: what the other nodes of a cluster ask */
int	internal_op(struct hctx *);
int	internal_read(struct hctx *);

/* auth.c */
int	auth_register(struct hctx *);
int	auth_login(struct hctx *);
int	auth_refresh(struct hctx *);
int	auth_profile_get(struct hctx *);
int	auth_profile_put(struct hctx *);
int	auth_logout(struct hctx *);

/* companies.c */
int	companies_list(struct hctx *);
int	companies_get(struct hctx *);
int	companies_create(struct hctx *);
int	companies_update(struct hctx *);
int	companies_delete(struct hctx *);

/* users.c */
int	users_list(struct hctx *);
int	users_list_company(struct hctx *);
int	users_get(struct hctx *);
int	users_create(struct hctx *);
int	users_update(struct hctx *);
int	users_delete(struct hctx *);
int	users_twilio_token(struct hctx *);

/* agents.c */
int	agents_list(struct hctx *);
int	agents_list_company(struct hctx *);
int	agents_get(struct hctx *);
int	agents_create(struct hctx *);
int	agents_update(struct hctx *);
int	agents_delete(struct hctx *);
int	agents_availability(struct hctx *);
int	agents_today(struct hctx *);
int	agents_twilio_token(struct hctx *);

/* queues.c */
int	queues_list(struct hctx *);
int	queues_get(struct hctx *);
int	queues_create(struct hctx *);
int	queues_update(struct hctx *);
int	queues_delete(struct hctx *);
int	queues_stats(struct hctx *);

/* calls.c */
int	calls_list(struct hctx *);
int	calls_get(struct hctx *);
int	calls_recording(struct hctx *);
/* recording-upload.c: browser recordings uploaded in pieces. */
int	recording_upload_create(struct hctx *);
int	recording_upload_get(struct hctx *);
int	recording_upload_patch(struct hctx *);
int	calls_create(struct hctx *);
int	calls_ivr_input(struct hctx *);
int	calls_update(struct hctx *);
int	calls_next(struct hctx *);
int	calls_purge(struct hctx *);
int	calls_action(struct hctx *);

/* ivr.c */
int	ivr_list(struct hctx *);
int	ivr_get(struct hctx *);
int	ivr_create(struct hctx *);
int	ivr_update(struct hctx *);
int	ivr_delete(struct hctx *);
int	ivr_activate(struct hctx *);
int	ivr_rollback(struct hctx *);
int	ivr_versions(struct hctx *);
int	ivr_export(struct hctx *);
int	ivr_validate(struct hctx *);

/* analytics/forecast.c */
int	queues_forecast(struct hctx *);

/* analytics.c */
int	analytics_overview(struct hctx *);
int	analytics_calls(struct hctx *);
int	analytics_agents(struct hctx *);
int	analytics_insights(struct hctx *);

/* analytics-export.c */
int	analytics_export(struct hctx *);

/* settings.c */
int	settings_system_get(struct hctx *);
int	settings_system_put(struct hctx *);
int	settings_company_get(struct hctx *);
int	settings_company_put(struct hctx *);
int	settings_prefs_get(struct hctx *);
int	settings_prefs_put(struct hctx *);
int	settings_themes(struct hctx *);
int	settings_languages(struct hctx *);

/* settings-status.c */
int	settings_status(struct hctx *);

/* files.c */
int	files_upload(struct hctx *);
int	files_list(struct hctx *);
int	files_get(struct hctx *);
int	files_content(struct hctx *);
/* The content of file id of h->req->scope (NULL: any), streamed
 * (ROUTE_STREAM); 404 when there is none. */
int	files_send(struct hctx *, const char *id);
int	files_delete(struct hctx *);
/* webhooks.c */
int	webhooks_list(struct hctx *);
int	webhooks_create(struct hctx *);
int	webhooks_get(struct hctx *);
int	webhooks_update(struct hctx *);
int	webhooks_delete(struct hctx *);
int	webhooks_test(struct hctx *);
int	webhooks_rotate(struct hctx *);
int	webhooks_deliveries(struct hctx *);
int	webhooks_redeliver(struct hctx *);

/* widget.c */
int	widget_keys_list(struct hctx *);
int	widget_keys_create(struct hctx *);
int	widget_keys_rotate(struct hctx *);
int	widget_keys_delete(struct hctx *);
int	widget_origins_get(struct hctx *);
int	widget_origins_put(struct hctx *);
/* ice.c */
int	ice_servers_get(struct hctx *);
/* integrations.c */
int	integrations_get(struct hctx *);
int	integrations_put(struct hctx *);
int	integrations_delete(struct hctx *);

/* incoming.c */
int	incoming_webhook(struct hctx *);
/*
 * Not a route: the far end hung up call (a row of CALL_COLS): a call in a
 * flow tells its IVR session, any other live call goes through the hub
 * (abandoned if no agent had it); a call already over stays as it is.
 */
struct hook_call;
int	webhook_hangup(struct hctx *, const char *company,
	    const struct hook_call *);

/* twilio.c */
int	twilio_webhook(struct hctx *);
int	twilio_hold_music(struct hctx *);

#endif
