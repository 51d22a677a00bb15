/*
 * Inside the operations layer: answering, and the entries that have a file
 * of their own (op-call.c: call.create and call.update; op-ivr.c:
 * call.ivr_input and the flow a new call enters; op-queue.c: queues'
 * configuration; op-user.c, op-company.c: users and companies).
 * configuration; op-webhook.c, op-widget.c, op-integration.c: webhooks,
 * widget keys and integrations).
 */
#ifndef OP_INT_H
#define OP_INT_H

#include "op.h"

void	 op_fail(struct op_out *, int status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 503 unavailable or 500 internal, by the database's error. */
void	 op_fail_db(struct op_out *, struct db *);
/* 422 validation_failed with f's errors (taken). */
void	 op_fail_fields(struct op_out *, struct fields *f);

struct call_row;
/* Answer the call c: its JSON with its live position, its state. */
void	 op_call_out(struct op_out *, const struct call_row *c);

/* The typed keys of call.create, call.update (op_call_parse) and
 * call.ivr_input, errors added to f. */
void	 op_call_parse(enum op_id, json_t *o, struct op_in *,
	    struct fields *f);
void	 op_ivr_parse(json_t *o, struct op_in *, struct fields *f);

/* Run in company, its references checked. */
void	 op_call_create(struct db *, const struct actor *, const char *company,
	    const struct op_in *, struct op_out *);
/* me: the acting user's agent record in company, or NULL. */
void	 op_call_update(struct db *, const struct actor *, const char *company,
	    const char *me, const struct op_in *, struct op_out *);
void	 op_ivr_input(struct db *, const char *company, const struct op_in *,
	    struct op_out *);

/*
 * The flow a new call is to enter: flowid, or NULL for the company's entry
 * flow. NULL with out filled (409) when there is none to enter, so that a
 * call is refused before anything is created.
 */
struct ivr_flow_rows;
struct ivr_flow_rows *op_ivr_flow(struct db *, const char *company,
	    const char *flowid, struct op_out *);
/*
 * Put a new call (row, state new, committed) into the flow f of
 * op_ivr_flow(), which this frees; out as an input's (201).
 */
void	 op_ivr_start(struct db *, const struct call_row *call,
	    struct ivr_flow_rows *f, struct op_out *);

/* Callbacks (op-callback.c): call.callback, call.callback_failed. */
void	 op_callback(struct db *, const struct actor *, const char *company,
	    const struct op_in *, struct op_out *);
void	 op_callback_failed(struct db *, const struct actor *,
	    const char *company, const struct op_in *, struct op_out *);

/* agent.disconnected (op-presence.c): her last socket over the nodes
 * went; the daemon acts for her. */
void	 op_agent_disconnected(struct db *, const struct actor *,
	    const char *company, const struct op_in *, struct op_out *);
/* Supervision (op-supervise.c): call.supervise. */
void	 op_supervise(struct db *, const struct actor *, const char *company,
	    const struct op_in *, struct op_out *);

/* On-demand recording (op-record.c): call.record. */
void	 op_record(struct db *, const struct actor *, const char *company,
	    const struct op_in *, struct op_out *);

/* Queues' configuration (op-queue.c): run in the actor's scope. */
void	 op_queue_write(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_queue_delete(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_queue_applied(struct db *, const struct op_out *);

/* Agents' configuration (op-agent.c): run in the actor's scope. */
void	 op_agent_create(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_agent_update(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_agent_delete(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_agent_applied(struct db *, const struct op_out *);
void	 op_agent_deleted(struct db *, const struct op_out *);

/* Users and companies (op-user.c, op-company.c): run in the actor's scope. */
void	 op_user_create(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_user_update(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_user_delete(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_company_write(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_company_delete(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
/* The same, and the contents of the deleted company's files gone from the
 * storage once it committed. */
void	 op_company_deleted(struct db *, const struct op_out *);
/* A caller's purge (op-purge.c): run in the actor's scope; applied()
 * deletes the recordings' contents once it committed. */
void	 op_call_purge(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_purge_applied(struct db *, const struct op_out *);
/* Sessions the change revoked (out->revoked) end here once it committed. */
void	 op_revoked_applied(struct db *, const struct op_out *);
/* The same, and a deleted user's agent record gone from the live state
 * (or back in it when the delete did not commit). */
void	 op_user_deleted(struct db *, const struct op_out *);
/* IVR flows, settings and files (op-settings.c, op-ivr-flow.c,
 * op-file.c): run in the actor's scope. */
void	 op_settings_system_put(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_settings_company_put(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_ivr_flow_write(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_ivr_flow_delete(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_ivr_flow_activate(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_ivr_flow_rollback(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_file_create(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_file_create_applied(struct db *, const struct op_out *);
void	 op_file_delete(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_file_delete_applied(struct db *, const struct op_out *);
/*
 * Webhooks (op-webhook.c), widget keys and origins (op-widget.c) and
 * integrations (op-integration.c), run in the actor's scope: in->id is the
 * route's first parameter (the webhook; the company for a create, a
 * widget key, origins and integrations), in->sub its second.
 */
void	 op_webhook_create(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_webhook_update(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_webhook_delete(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_webhook_test(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_webhook_rotate(struct db *, const struct actor *, const char *scope,
	    const struct op_in *, struct op_out *);
void	 op_webhook_redeliver(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_widget_key_create(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_widget_key_rotate(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_widget_key_delete(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_widget_origins_update(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_integration_set_twilio(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_integration_delete_twilio(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_integration_set_incoming(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);
void	 op_integration_delete_incoming(struct db *, const struct actor *,
	    const char *scope, const struct op_in *, struct op_out *);

#endif
