/*
 * The operations table and its dispatcher (op.h): who may act, in which
 * company, on what references, with which limits; the hub does the rest.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "call.h"
#include "db-call.h"
#include "db-agent.h"
#include "hub.h"
#include "db-ref.h"
#include "db-audit.h"
#include "db-session.h"
#include "validate.h"
#include "op.h"
#include "op-int.h"
#include "op-forward.h"

#define USERS	(1u << ACTOR_USER)
#define CALLERS	(1u << ACTOR_CALLER)
#define SYSTEM	(1u << ACTOR_SYSTEM)
#define ROOM	(OPT_REST | OPT_WS)
#define CE	OPA_CALL_EVENTS
#define AL	OPA_AGENT_LOG

static void	run_create(struct db *, const struct actor *, const char *,
		    const struct op_in *, struct op_out *);
static void	run_ivr_input(struct db *, const struct actor *, const char *,
		    const struct op_in *, struct op_out *);
static void	run_update(struct db *, const struct actor *, const char *,
		    const struct op_in *, struct op_out *);

const struct op_def ops[OP__COUNT] = {
	[OP_CALL_ANSWER] = { .name = "call.answer", .id = OP_CALL_ANSWER,
	    .route = "POST /api/calls/:id/answer",
	    .rest = "answer", .ws = "call.accept", .min_role = ROLE_AGENT,
	    .actors = USERS, .transports = ROOM,
	    .keys = OPK_CALL | OPK_REASON, .required = OPK_CALL,
	    .tx = OPTX_HUB, .audit = CE | AL },
	[OP_CALL_REJECT] = { .name = "call.reject", .id = OP_CALL_REJECT,
	    .route = "POST /api/calls/:id/reject",
	    .rest = "reject", .ws = "call.reject", .min_role = ROLE_AGENT,
	    .actors = USERS, .transports = ROOM,
	    .keys = OPK_CALL | OPK_REASON, .required = OPK_CALL,
	    .tx = OPTX_HUB, .audit = CE | AL },
	[OP_CALL_HOLD] = { .name = "call.hold", .id = OP_CALL_HOLD,
	    .route = "POST /api/calls/:id/hold",
	    .rest = "hold", .ws = "call.hold", .min_role = ROLE_AGENT,
	    .actors = USERS, .transports = ROOM,
	    .keys = OPK_CALL | OPK_REASON, .required = OPK_CALL,
	    .tx = OPTX_HUB, .audit = CE },
	[OP_CALL_RESUME] = { .name = "call.resume", .id = OP_CALL_RESUME,
	    .route = "POST /api/calls/:id/resume",
	    .rest = "resume", .ws = "call.resume", .min_role = ROLE_AGENT,
	    .actors = USERS, .transports = ROOM,
	    .keys = OPK_CALL | OPK_REASON, .required = OPK_CALL,
	    .tx = OPTX_HUB, .audit = CE },
	[OP_CALL_HANGUP] = { .name = "call.hangup", .id = OP_CALL_HANGUP,
	    .route = "POST /api/calls/:id/hangup",
	    .rest = "hangup", .ws = "call.hangup", .min_role = ROLE_AGENT,
	    .actors = USERS | CALLERS | SYSTEM,
	    .transports = ROOM | OPT_INCOMING | OPT_TWILIO | OPT_DAEMON,
	    .keys = OPK_CALL | OPK_REASON, .required = OPK_CALL,
	    .tx = OPTX_HUB, .audit = CE | AL },
	[OP_CALL_WRAP] = { .name = "call.wrap", .id = OP_CALL_WRAP,
	    .route = "POST /api/calls/:id/wrap",
	    .rest = "wrap", .min_role = ROLE_AGENT,
	    .actors = USERS, .transports = OPT_REST,
	    .keys = OPK_CALL | OPK_REASON | OPK_DISPOSITION | OPK_NOTES,
	    .required = OPK_CALL,
	    .tx = OPTX_HUB, .audit = CE | AL },
	[OP_CALL_ASSIGN] = { .name = "call.assign", .id = OP_CALL_ASSIGN,
	    .route = "POST /api/calls/:id/assign",
	    .rest = "assign", .min_role = ROLE_MANAGER,
	    .actors = USERS, .transports = OPT_REST,
	    .keys = OPK_CALL | OPK_AGENT | OPK_REASON, .refs = OPK_AGENT,
	    .required = OPK_CALL | OPK_AGENT,
	    .tx = OPTX_HUB, .audit = CE | AL },
	[OP_CALL_TRANSFER] = { .name = "call.transfer", .id = OP_CALL_TRANSFER,
	    .route = "POST /api/calls/:id/transfer",
	    .rest = "transfer", .ws = "call.transfer", .min_role = ROLE_AGENT,
	    .actors = USERS, .transports = ROOM,
	    .keys = OPK_CALL | OPK_AGENT | OPK_QUEUE | OPK_REASON,
	    .refs = OPK_AGENT | OPK_QUEUE, .required = OPK_CALL,
	    .tx = OPTX_HUB, .audit = CE | AL },
	[OP_CALL_NEXT] = { .name = "call.next", .id = OP_CALL_NEXT,
	    .route = "GET /api/calls/queue/next",
	    .min_role = ROLE_AGENT, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_HUB, .audit = CE | AL },
	[OP_CALL_REQUEUE] = { .name = "call.requeue", .id = OP_CALL_REQUEUE,
	    .min_role = ROLE_MANAGER, .actors = SYSTEM,
	    .transports = OPT_TWILIO,
	    .keys = OPK_CALL, .required = OPK_CALL,
	    .tx = OPTX_HUB, .audit = CE | AL },
	[OP_AGENT_STATE] = { .name = "agent.state", .id = OP_AGENT_STATE,
	    .route = "PUT /api/agents/:id/availability",
	    .rest = "availability", .ws = "agent.state",
	    .min_role = ROLE_AGENT, .actors = USERS | SYSTEM,
	    .transports = ROOM,
	    .keys = OPK_AGENT | OPK_STATE | OPK_REASON,
	    .required = OPK_AGENT | OPK_STATE,
	    .tx = OPTX_HUB, .audit = CE | AL },
	[OP_AGENT_DISCONNECTED] = { .name = "agent.disconnected",
	    .id = OP_AGENT_DISCONNECTED, .min_role = ROLE_MANAGER,
	    .actors = SYSTEM, .transports = OPT_DAEMON,
	    .keys = OPK_AGENT, .required = OPK_AGENT,
	    .tx = OPTX_HUB, .audit = CE | AL, .run = op_agent_disconnected },
	[OP_CALL_CREATE] = { .name = "call.create", .id = OP_CALL_CREATE,
	    .route = "POST /api/calls",
	    .ws = "call.request", .min_role = ROLE_MANAGER,
	    .actors = USERS | CALLERS | SYSTEM,
	    .transports = ROOM | OPT_INCOMING | OPT_TWILIO,
	    .keys = OPK_COMPANY | OPK_QUEUE | OPK_NUMBER | OPK_NAME |
	    OPK_DATA | OPK_PRIORITY | OPK_SKILLS | OPK_MEDIA | OPK_IVR |
	    OPK_FLOW, .refs = OPK_QUEUE | OPK_FLOW,
	    .tx = OPTX_INSERT, .audit = CE, .run = run_create },
	[OP_CALL_IVR_INPUT] = { .name = "call.ivr_input",
	    .id = OP_CALL_IVR_INPUT,
	    .route = "POST /api/calls/:id/ivr/input", .ws = "ivr.input",
	    .min_role = ROLE_MANAGER, .actors = USERS | CALLERS | SYSTEM,
	    .transports = ROOM | OPT_INCOMING | OPT_TWILIO,
	    .keys = OPK_CALL | OPK_INPUT, .required = OPK_CALL | OPK_INPUT,
	    .tx = OPTX_FLOW, .audit = CE, .run = run_ivr_input },
	[OP_CALL_UPDATE] = { .name = "call.update", .id = OP_CALL_UPDATE,
	    .route = "PUT /api/calls/:id", .min_role = ROLE_AGENT,
	    .actors = USERS | SYSTEM, .transports = OPT_REST | OPT_INCOMING,
	    .keys = OPK_CALL | OPK_NOTES | OPK_TAGS | OPK_DISPOSITION |
	    OPK_DATA | OPK_PRIORITY, .required = OPK_CALL,
	    .tx = OPTX_STATEMENT, .audit = OPA_CALL_EVENTS,
	    .run = run_update },
	[OP_CALL_CALLBACK] = { .name = "call.callback", .id = OP_CALL_CALLBACK,
	    .route = "POST /api/calls/:id/callback", .rest = "callback",
	    .ws = "call.callback", .min_role = ROLE_MANAGER,
	    .actors = USERS | CALLERS | SYSTEM, .transports = ROOM,
	    .keys = OPK_CALL | OPK_CB_NUMBER, .required = OPK_CALL,
	    .tx = OPTX_HUB, .audit = CE, .run = op_callback },
	[OP_CALL_CALLBACK_FAILED] = { .name = "call.callback_failed",
	    .id = OP_CALL_CALLBACK_FAILED, .min_role = ROLE_MANAGER,
	    .actors = SYSTEM, .transports = OPT_TWILIO,
	    .keys = OPK_CALL | OPK_REASON, .required = OPK_CALL,
	    .tx = OPTX_HUB, .audit = CE | AL, .run = op_callback_failed },
	[OP_CALL_SUPERVISE] = { .name = "call.supervise",
	    .id = OP_CALL_SUPERVISE, .route = "POST /api/calls/:id/supervise",
	    .rest = "supervise", .ws = "call.supervise",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = ROOM,
	    .keys = OPK_CALL | OPK_MODE | OPK_PHONE,
	    .required = OPK_CALL | OPK_MODE, .tx = OPTX_HUB,
	    .audit = CE | OPA_AUDIT_LOG, .run = op_supervise },
	[OP_CALL_RECORD] = { .name = "call.record", .id = OP_CALL_RECORD,
	    .route = "POST /api/calls/:id/record", .rest = "record",
	    .ws = "call.record", .min_role = ROLE_AGENT, .actors = USERS,
	    .transports = ROOM, .keys = OPK_CALL | OPK_ACTION,
	    .required = OPK_CALL | OPK_ACTION, .tx = OPTX_STATEMENT,
	    .audit = CE, .run = op_record },
	[OP_QUEUE_CREATE] = { .name = "queue.create", .id = OP_QUEUE_CREATE,
	    .route = "POST /api/queues", .min_role = ROLE_MANAGER,
	    .actors = USERS, .transports = OPT_REST, .tx = OPTX_ADMIN,
	    .audit = OPA_AUDIT_LOG, .entity = "queue", .verb = "create",
	    .run = op_queue_write, .applied = op_queue_applied },
	[OP_QUEUE_UPDATE] = { .name = "queue.update", .id = OP_QUEUE_UPDATE,
	    .route = "PUT /api/queues/:id", .min_role = ROLE_MANAGER,
	    .actors = USERS, .transports = OPT_REST, .tx = OPTX_ADMIN,
	    .audit = OPA_AUDIT_LOG, .entity = "queue", .verb = "update",
	    .run = op_queue_write, .applied = op_queue_applied },
	[OP_QUEUE_DELETE] = { .name = "queue.delete", .id = OP_QUEUE_DELETE,
	    .route = "DELETE /api/queues/:id", .min_role = ROLE_MANAGER,
	    .actors = USERS, .transports = OPT_REST, .tx = OPTX_ADMIN,
	    .audit = OPA_AUDIT_LOG, .entity = "queue", .verb = "delete",
	    .run = op_queue_delete, .applied = op_queue_applied,
	    .owner = OWN_QUEUE },
	[OP_AGENT_CREATE] = { .name = "agent.create", .id = OP_AGENT_CREATE,
	    .route = "POST /api/agents", .min_role = ROLE_MANAGER,
	    .actors = USERS, .transports = OPT_REST, .tx = OPTX_ADMIN,
	    .audit = OPA_AUDIT_LOG, .entity = "agent", .verb = "create",
	    .run = op_agent_create, .applied = op_agent_applied },
	[OP_AGENT_UPDATE] = { .name = "agent.update", .id = OP_AGENT_UPDATE,
	    .route = "PUT /api/agents/:id", .min_role = ROLE_MANAGER,
	    .actors = USERS, .transports = OPT_REST, .tx = OPTX_ADMIN,
	    .audit = OPA_AUDIT_LOG, .entity = "agent", .verb = "update",
	    .run = op_agent_update, .applied = op_agent_applied },
	[OP_AGENT_DELETE] = { .name = "agent.delete", .id = OP_AGENT_DELETE,
	    .route = "DELETE /api/agents/:id", .min_role = ROLE_MANAGER,
	    .actors = USERS, .transports = OPT_REST, .tx = OPTX_ADMIN,
	    .audit = OPA_AUDIT_LOG, .entity = "agent", .verb = "delete",
	    .run = op_agent_delete, .applied = op_agent_deleted,
	    .owner = OWN_AGENT },
	/* Users and companies (op-user.c, op-company.c). */
	[OP_USER_CREATE] = { .name = "user.create", .id = OP_USER_CREATE,
	    .route = "POST /api/users", .min_role = ROLE_MANAGER,
	    .actors = USERS, .transports = OPT_REST, .tx = OPTX_ADMIN,
	    .audit = OPA_AUDIT_LOG, .entity = "user", .verb = "create",
	    .run = op_user_create },
	[OP_USER_UPDATE] = { .name = "user.update", .id = OP_USER_UPDATE,
	    .route = "PUT /api/users/:id", .min_role = ROLE_MANAGER,
	    .actors = USERS, .transports = OPT_REST, .tx = OPTX_ADMIN,
	    .audit = OPA_AUDIT_LOG, .entity = "user", .verb = "update",
	    .run = op_user_update, .applied = op_revoked_applied },
	[OP_USER_DELETE] = { .name = "user.delete", .id = OP_USER_DELETE,
	    .route = "DELETE /api/users/:id", .min_role = ROLE_MANAGER,
	    .actors = USERS, .transports = OPT_REST, .tx = OPTX_ADMIN,
	    .audit = OPA_AUDIT_LOG, .entity = "user", .verb = "delete",
	    .run = op_user_delete, .applied = op_user_deleted,
	    .owner = OWN_USER },
	[OP_COMPANY_CREATE] = { .name = "company.create",
	    .id = OP_COMPANY_CREATE, .route = "POST /api/companies",
	    .min_role = ROLE_ADMIN, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "company",
	    .verb = "create", .run = op_company_write },
	[OP_COMPANY_UPDATE] = { .name = "company.update",
	    .id = OP_COMPANY_UPDATE, .route = "PUT /api/companies/:id",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "company",
	    .verb = "update", .run = op_company_write },
	[OP_COMPANY_DELETE] = { .name = "company.delete",
	    .id = OP_COMPANY_DELETE, .route = "DELETE /api/companies/:id",
	    .min_role = ROLE_ADMIN, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "company",
	    .verb = "delete", .run = op_company_delete,
	    .applied = op_company_deleted },
	/* IVR flows, settings and files */
	[OP_SYSTEM_SETTINGS_UPDATE] = { .name = "system_settings.update",
	    .id = OP_SYSTEM_SETTINGS_UPDATE, .route = "PUT /api/settings/system",
	    .min_role = ROLE_ADMIN, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG,
	    .entity = "system_settings", .verb = "update",
	    .run = op_settings_system_put },
	[OP_COMPANY_SETTINGS_UPDATE] = { .name = "company_settings.update",
	    .id = OP_COMPANY_SETTINGS_UPDATE,
	    .route = "PUT /api/settings/company/:companyId",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG,
	    .entity = "company_settings", .verb = "update",
	    .run = op_settings_company_put },
	[OP_IVR_FLOW_CREATE] = { .name = "ivr_flow.create",
	    .id = OP_IVR_FLOW_CREATE, .route = "POST /api/ivr",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG,
	    .entity = "ivr_flow", .verb = "create", .run = op_ivr_flow_write },
	[OP_IVR_FLOW_UPDATE] = { .name = "ivr_flow.update",
	    .id = OP_IVR_FLOW_UPDATE, .route = "PUT /api/ivr/:id",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG,
	    .entity = "ivr_flow", .verb = "update", .run = op_ivr_flow_write },
	[OP_IVR_FLOW_DELETE] = { .name = "ivr_flow.delete",
	    .id = OP_IVR_FLOW_DELETE, .route = "DELETE /api/ivr/:id",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG,
	    .entity = "ivr_flow", .verb = "delete", .run = op_ivr_flow_delete },
	[OP_IVR_FLOW_ACTIVATE] = { .name = "ivr_flow.activate",
	    .id = OP_IVR_FLOW_ACTIVATE, .route = "POST /api/ivr/:id/activate",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG,
	    .entity = "ivr_flow", .verb = "activate", .run = op_ivr_flow_activate },
	[OP_IVR_FLOW_ROLLBACK] = { .name = "ivr_flow.rollback",
	    .id = OP_IVR_FLOW_ROLLBACK, .route = "POST /api/ivr/:id/rollback",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG,
	    .entity = "ivr_flow", .verb = "rollback", .run = op_ivr_flow_rollback },
	[OP_FILE_CREATE] = { .name = "file.create", .id = OP_FILE_CREATE,
	    .route = "POST /api/files/company/:companyId",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG,
	    .entity = "file", .verb = "create", .run = op_file_create,
	    .applied = op_file_create_applied },
	[OP_FILE_DELETE] = { .name = "file.delete", .id = OP_FILE_DELETE,
	    .route = "DELETE /api/files/:id",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG,
	    .entity = "file", .verb = "delete", .run = op_file_delete,
	    .applied = op_file_delete_applied },
	/* Webhooks, widget keys and integrations: no live state follows
	 * (the outbox, the widget socket and the signed webhooks read the
	 * rows each time). */
	[OP_WEBHOOK_CREATE] = { .name = "webhook.create",
	    .id = OP_WEBHOOK_CREATE,
	    .route = "POST /api/webhooks/company/:companyId",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "webhook",
	    .verb = "create", .run = op_webhook_create },
	[OP_WEBHOOK_UPDATE] = { .name = "webhook.update",
	    .id = OP_WEBHOOK_UPDATE,
	    .route = "PUT /api/webhooks/:id",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "webhook",
	    .verb = "update", .run = op_webhook_update },
	[OP_WEBHOOK_DELETE] = { .name = "webhook.delete",
	    .id = OP_WEBHOOK_DELETE,
	    .route = "DELETE /api/webhooks/:id",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "webhook",
	    .verb = "delete", .run = op_webhook_delete },
	[OP_WEBHOOK_TEST] = { .name = "webhook.test",
	    .id = OP_WEBHOOK_TEST,
	    .route = "POST /api/webhooks/:id/test",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "webhook",
	    .verb = "test", .run = op_webhook_test },
	[OP_WEBHOOK_ROTATE_SECRET] = { .name = "webhook.rotate_secret",
	    .id = OP_WEBHOOK_ROTATE_SECRET,
	    .route = "POST /api/webhooks/:id/rotate-secret",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "webhook",
	    .verb = "rotate_secret", .run = op_webhook_rotate },
	[OP_WEBHOOK_REDELIVER] = { .name = "webhook.redeliver",
	    .id = OP_WEBHOOK_REDELIVER,
	    .route = "POST /api/webhooks/:id/deliveries/:deliveryId/redeliver",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "webhook",
	    .verb = "redeliver", .run = op_webhook_redeliver },
	[OP_WIDGET_KEY_CREATE] = { .name = "widget_key.create",
	    .id = OP_WIDGET_KEY_CREATE,
	    .route = "POST /api/companies/:id/widget-keys",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "widget_key",
	    .verb = "create", .run = op_widget_key_create },
	[OP_WIDGET_KEY_ROTATE] = { .name = "widget_key.rotate",
	    .id = OP_WIDGET_KEY_ROTATE,
	    .route = "POST /api/companies/:id/widget-keys/:keyId/rotate",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "widget_key",
	    .verb = "rotate", .run = op_widget_key_rotate },
	[OP_WIDGET_KEY_DELETE] = { .name = "widget_key.delete",
	    .id = OP_WIDGET_KEY_DELETE,
	    .route = "DELETE /api/companies/:id/widget-keys/:keyId",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "widget_key",
	    .verb = "delete", .run = op_widget_key_delete },
	[OP_WIDGET_ORIGINS_UPDATE] = { .name = "widget_origins.update",
	    .id = OP_WIDGET_ORIGINS_UPDATE,
	    .route = "PUT /api/companies/:id/widget-origins",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "widget_origins",
	    .verb = "update", .run = op_widget_origins_update },
	[OP_INTEGRATION_SET_TWILIO] = { .name = "integration.set_twilio",
	    .id = OP_INTEGRATION_SET_TWILIO,
	    .route = "PUT /api/integrations/company/:companyId/twilio",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "integration",
	    .verb = "set", .run = op_integration_set_twilio },
	[OP_INTEGRATION_DELETE_TWILIO] = { .name = "integration.delete_twilio",
	    .id = OP_INTEGRATION_DELETE_TWILIO,
	    .route = "DELETE /api/integrations/company/:companyId/twilio",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "integration",
	    .verb = "delete", .run = op_integration_delete_twilio },
	[OP_INTEGRATION_SET_INCOMING] = { .name = "integration.set_incoming",
	    .id = OP_INTEGRATION_SET_INCOMING,
	    .route = "PUT /api/integrations/company/:companyId/incoming",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "integration",
	    .verb = "set", .run = op_integration_set_incoming },
	[OP_INTEGRATION_DELETE_INCOMING] = { .name = "integration.delete_incoming",
	    .id = OP_INTEGRATION_DELETE_INCOMING,
	    .route = "DELETE /api/integrations/company/:companyId/incoming",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "integration",
	    .verb = "delete", .run = op_integration_delete_incoming },
	/* A caller's personal data: the company's rows anonymised, its
	 * recordings' contents deleted after COMMIT (op-purge.c). */
	[OP_CALL_PURGE] = { .name = "call.purge", .id = OP_CALL_PURGE,
	    .route = "POST /api/calls/purge",
	    .min_role = ROLE_MANAGER, .actors = USERS, .transports = OPT_REST,
	    .tx = OPTX_ADMIN, .audit = OPA_AUDIT_LOG, .entity = "company",
	    .verb = "purge_caller", .run = op_call_purge,
	    .applied = op_purge_applied },
};

/*
 * Each input key: its name, its kind, its length limit and where in struct
 * op_in it lands; a KEY_TYPED key is no plain string: its entry's parse
 * function takes it (op_call_parse, op_ivr_parse). Errors come in this
 * order.
 */
enum { KEY_UUID, KEY_TEXT, KEY_STATE, KEY_TYPED };
static const struct {
	unsigned	 key;
	const char	*name;
	int		 type;
	size_t		 max;
	size_t		 off;
} keys[] = {
	{ OPK_CALL, "call_id", KEY_UUID, 36, offsetof(struct op_in, call) },
	{ OPK_COMPANY, "company_id", KEY_UUID, 36,
	    offsetof(struct op_in, company) },
	{ OPK_AGENT, "agent_id", KEY_UUID, 36, offsetof(struct op_in, agent) },
	{ OPK_QUEUE, "queue_id", KEY_UUID, 36, offsetof(struct op_in, queue) },
	{ OPK_REASON, "reason", KEY_TEXT, 200, offsetof(struct op_in, reason) },
	{ OPK_DISPOSITION, "disposition", KEY_TEXT, 100,
	    offsetof(struct op_in, disposition) },
	{ OPK_NOTES, "notes", KEY_TEXT, 10000, offsetof(struct op_in, notes) },
	{ OPK_STATE, "state", KEY_STATE, 16, 0 },
	{ OPK_NUMBER, "caller_number", KEY_TEXT, OP_MAX_NUMBER,
	    offsetof(struct op_in, number) },
	{ OPK_NAME, "caller_name", KEY_TEXT, OP_MAX_NAME,
	    offsetof(struct op_in, name) },
	{ OPK_DATA, "caller_data", KEY_TYPED, 0, 0 },
	{ OPK_PRIORITY, "priority", KEY_TYPED, 0, 0 },
	{ OPK_SKILLS, "skills", KEY_TYPED, 0, 0 },
	{ OPK_MEDIA, "media", KEY_TEXT, 16, offsetof(struct op_in, media) },
	{ OPK_IVR, "ivr", KEY_TYPED, 0, 0 },
	{ OPK_FLOW, "ivr_flow_id", KEY_UUID, 36, offsetof(struct op_in, flow) },
	{ OPK_TAGS, "tags", KEY_TYPED, 0, 0 },
	{ OPK_CB_NUMBER, "number", KEY_TEXT, OP_MAX_NUMBER,
	    offsetof(struct op_in, number) },
	{ OPK_MODE, "mode", KEY_TEXT, 16, offsetof(struct op_in, mode) },
	{ OPK_PHONE, "phone", KEY_TEXT, 256, offsetof(struct op_in, phone) },
	{ OPK_ACTION, "action", KEY_TEXT, 16, offsetof(struct op_in, action) },
	{ OPK_INPUT, "type", KEY_TYPED, 0, 0 },
	{ OPK_INPUT, "digits", KEY_TYPED, 0, 0 },
	{ OPK_INPUT, "status", KEY_TYPED, 0, 0 },
	{ OPK_INPUT, "body", KEY_TYPED, 0, 0 },
	{ OPK_INPUT, "result", KEY_TYPED, 0, 0 },
	{ OPK_INPUT, "recording", KEY_TYPED, 0, 0 },
};
#define NKEYS	(sizeof keys / sizeof keys[0])

/* The hub's operation for each call operation. */
static const enum hub_op hub_ops[] = {
	[OP_CALL_ANSWER] = HUB_ANSWER,
	[OP_CALL_REJECT] = HUB_REJECT,
	[OP_CALL_HOLD] = HUB_HOLD,
	[OP_CALL_RESUME] = HUB_RESUME,
	[OP_CALL_HANGUP] = HUB_HANGUP,
	[OP_CALL_WRAP] = HUB_WRAP,
	[OP_CALL_ASSIGN] = HUB_ASSIGN,
	[OP_CALL_TRANSFER] = HUB_TRANSFER_AGENT,
	[OP_CALL_REQUEUE] = HUB_REQUEUE,
};

const struct op_def *
op_by_rest(const char *segment, size_t len)
{
	for (size_t i = 0; i < OP__COUNT; i++) {
		if (ops[i].rest != NULL && strlen(ops[i].rest) == len &&
		    strncmp(ops[i].rest, segment, len) == 0)
			return &ops[i];
	}
	return NULL;
}

const struct op_def *
op_by_ws(const char *type)
{
	for (size_t i = 0; i < OP__COUNT; i++) {
		if (ops[i].ws != NULL && strcmp(ops[i].ws, type) == 0)
			return &ops[i];
	}
	return NULL;
}

static const char **
in_slot(struct op_in *in, size_t i)
{
	return (const char **)(void *)((char *)in + keys[i].off);
}

int
op_in_parse(enum op_id id, json_t *o, int strict, struct op_in *in,
    struct fields *f)
{
	const struct op_def	*d = &ops[id];
	const char		*k, *s;
	json_t			*v;
	size_t			 i;
	int			 n = fields_any(f);

	if (o != NULL && !json_is_object(o)) {
		fields_add(f, "body", "must be a JSON object");
		return -1;
	}
	if (strict && o != NULL) {
		json_object_foreach(o, k, v) {
			for (i = 0; i < NKEYS; i++) {
				if ((d->keys & keys[i].key) &&
				    strcmp(keys[i].name, k) == 0)
					break;
			}
			if (i == NKEYS)
				fields_add(f, k, "is not a field of %s", d->name);
		}
	}
	for (i = 0; i < NKEYS; i++) {
		if ((d->keys & keys[i].key) == 0 || keys[i].type == KEY_TYPED)
			continue;
		if (keys[i].type != KEY_STATE && *in_slot(in, i)) {
			/* Named by the path already. */
			if (json_object_get(o, keys[i].name) != NULL)
				fields_add(f, keys[i].name, "is given by the"
				    " path");
			continue;
		}
		if (field_string(o, keys[i].name, (d->required & keys[i].key)
		    != 0, keys[i].max, f, &s) != 1)
			continue;
		if (keys[i].type == KEY_STATE) {
			if (agent_state_parse(s, &in->state) != 0 ||
			    (in->state != AGENT_AVAILABLE &&
			    in->state != AGENT_AWAY && in->state != AGENT_OFFLINE))
				fields_add(f, "state", "must be available, away"
				    " or offline");
			continue;
		}
		if (keys[i].type == KEY_UUID && !is_uuid(s)) {
			fields_add(f, keys[i].name, "must be a UUID");
			continue;
		}
		*in_slot(in, i) = s;
	}
	if (id == OP_CALL_CREATE || id == OP_CALL_UPDATE)
		op_call_parse(id, o, in, f);
	if (id == OP_CALL_IVR_INPUT)
		op_ivr_parse(o, in, f);
	if (id == OP_AGENT_STATE && in->reason != NULL &&
	    strlen(in->reason) > 100)
		fields_add(f, "reason", "must be at most 100 characters");
	if (id == OP_CALL_TRANSFER && (in->agent == NULL) == (in->queue == NULL))
		fields_add(f, "agent_id", "name the agent (agent_id) or the"
		    " queue (queue_id) to transfer to, one of them");
	return fields_any(f) > n ? -1 : 0;
}

void
op_fail(struct op_out *out, int status, const char *code, const char *fmt, ...)
{
	va_list	 ap;

	out->status = status;
	out->code = code;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof out->detail, fmt, ap);
	va_end(ap);
}

void
op_fail_fields(struct op_out *out, struct fields *f)
{
	op_fail(out, 422, "validation_failed", "the request has invalid"
	    " fields");
	out->errors = f->errors;
	f->errors = NULL;
}

void
op_fail_db(struct op_out *out, struct db *db)
{
	if (db->err == DB_DOWN)
		op_fail(out, 503, "unavailable", "the database is unreachable;"
		    " try again shortly");
	else
		op_fail(out, 500, "internal", "the request failed; the error has"
		    " been logged");
}

int
op_agent_of(struct db *db, const char *user, const char *company,
    char me[UUID_LEN + 1])
{
	struct agent_rows	*ag;
	int			 found;

	me[0] = '\0';
	if (user == NULL || user[0] == '\0')
		return 0;
	if ((ag = db_agent_by_user(db, user)) == NULL)
		return -1;
	found = ag->n == 1 && (company == NULL ||
	    strcmp(ag->v[0].company, company) == 0);
	if (found)
		strlcpy_(me, ag->v[0].id, UUID_LEN + 1);
	agent_rows_free(ag);
	return found;
}

/* The acting user's agent record in company: 1, 0 none, -1 error. */
static int
acting_agent(struct db *db, const struct actor *a, const char *company,
    char me[UUID_LEN + 1])
{
	me[0] = '\0';
	if (a->kind != ACTOR_USER)
		return 0;
	return op_agent_of(db, a->user, company, me);
}

/* The company acted in: the call's or the agent's, seen from a's scope. */
static int
op_company(struct db *db, const struct op_def *d, const struct actor *a,
    const struct op_in *in, char company[UUID_LEN + 1], struct op_out *out)
{
	struct call_rows	*c;
	struct agent_rows	*ag;

	if (d->id == OP_CALL_NEXT) {
		if (a->company == NULL)
			return op_fail(out, 403, "forbidden", "you are not set up"
			    " as an agent"), -1;
		strlcpy_(company, a->company, UUID_LEN + 1);
		return 0;
	}
	if (d->id == OP_CALL_CREATE) {
		/* An admin names the company; anyone else acts in theirs. */
		out->field = "company_id";
		if (a->company == NULL && in->company == NULL)
			return op_fail(out, 422, "validation_failed",
			    "is required"), -1;
		if (a->company != NULL && in->company != NULL &&
		    strcmp(a->company, in->company) != 0)
			return op_fail(out, 422, "validation_failed",
			    "no such company"), -1;
		out->field = NULL;
		strlcpy_(company, a->company != NULL ? a->company :
		    in->company, UUID_LEN + 1);
		return 0;
	}
	if (d->id == OP_AGENT_STATE || d->id == OP_AGENT_DISCONNECTED) {
		if ((ag = db_agent_get(db, a->company, in->agent)) == NULL)
			return op_fail_db(out, db), -1;
		if (ag->n == 0 || (a->kind == ACTOR_USER &&
		    a->role == ROLE_AGENT && (a->user == NULL ||
		    strcmp(ag->v[0].user, a->user) != 0))) {
			agent_rows_free(ag);
			op_fail(out, 404, "not_found", "no such agent");
			return -1;
		}
		strlcpy_(company, ag->v[0].company, UUID_LEN + 1);
		agent_rows_free(ag);
		return 0;
	}
	if (a->kind == ACTOR_CALLER && strcmp(in->call, a->call) != 0)
		return op_fail(out, 404, "not_found", "no such call"), -1;
	if ((c = db_call_find(db, a->company, in->call)) == NULL)
		return op_fail_db(out, db), -1;
	if (c->n == 0) {
		call_rows_free(c);
		op_fail(out, 404, "not_found", "no such call");
		return -1;
	}
	strlcpy_(company, c->v[0].company, UUID_LEN + 1);
	call_rows_free(c);
	return 0;
}

/* Every reference of in, in company; -1 with out filled if one is not. */
static int
op_refs(struct db *db, const struct op_def *d, const char *company,
    const struct op_in *in, struct op_out *out)
{
	static const struct {
		unsigned	 key;
		enum ref_kind	 kind;
		const char	*field;
	} refs[] = {
		{ OPK_AGENT, REF_AGENT, "agent_id" },
		{ OPK_QUEUE, REF_QUEUE, "queue_id" },
		{ OPK_FLOW, REF_IVR_FLOW, "ivr_flow_id" },
	};
	const char	*id;
	int		 rc;

	for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
		if ((d->refs & refs[i].key) == 0)
			continue;
		/*
		 * A new call's queue is resolved by its insert, in the same
		 * company with the same answer (op-call.c), so that a create
		 * stays one statement.
		 */
		if (d->id == OP_CALL_CREATE && refs[i].key == OPK_QUEUE)
			continue;
		id = refs[i].key == OPK_AGENT ? in->agent :
		    refs[i].key == OPK_QUEUE ? in->queue : in->flow;
		if (id == NULL)
			continue;
		if ((rc = db_ref_one(db, company, refs[i].kind, id)) < 0)
			return op_fail_db(out, db), -1;
		if (rc == 0) {
			out->field = refs[i].field;
			op_fail(out, 422, "validation_failed", "no such %s",
			    db_ref_name(refs[i].kind));
			return -1;
		}
	}
	return 0;
}

/*
 * A new call's queue named by name or id (in->queue_ref): *copy is in with
 * the queue's id (in id) as queue_id; -1 with out filled when there is no
 * such queue in company, answered as an unknown queue_id is, naming the
 * field "queue".
 */
static int
op_queue_ref(struct db *db, const char *company, const struct op_in *in,
    struct op_in *copy, char id[UUID_LEN + 1], struct op_out *out)
{
	int	 rc;

	*copy = *in;
	out->field = "queue";
	if (in->queue != NULL || in->ivr)
		return op_fail(out, 422, "validation_failed", "a call enters a"
		    " flow or a queue, not both"), -1;
	if ((rc = db_ref_by_name(db, company, REF_QUEUE, in->queue_ref,
	    id)) < 0) {
		out->field = NULL;
		return op_fail_db(out, db), -1;
	}
	if (rc == 0)
		return op_fail(out, 422, "validation_failed", "no such %s",
		    db_ref_name(REF_QUEUE)), -1;
	out->field = NULL;
	copy->queue = id;
	copy->queue_ref = NULL;
	return 0;
}

/* The event data an operation records: what it was given. */
static json_t *
op_data(const struct op_in *in)
{
	json_t	*o = json_object();

	if (in->reason != NULL)
		json_object_set_new(o, "reason", json_string(in->reason));
	if (in->disposition != NULL)
		json_object_set_new(o, "disposition",
		    json_string(in->disposition));
	if (in->notes != NULL)
		json_object_set_new(o, "notes", json_string(in->notes));
	if (in->agent != NULL)
		json_object_set_new(o, "agent_id", json_string(in->agent));
	if (in->queue != NULL)
		json_object_set_new(o, "queue_id", json_string(in->queue));
	return o;
}

static void
hub_out(struct hub_result *r, int agent, struct op_out *out)
{
	enum agent_state as;

	if (r->status >= 400) {
		op_fail(out, r->status, r->code, "%s", r->detail);
		call_rows_free(r->row);
		agent_rows_free(r->agent);
		return;
	}
	out->status = r->status;
	if (agent) {
		if (r->agent != NULL && r->agent->n > 0) {
			out->obj = agent_json(&r->agent->v[0]);
			if (agent_state_parse(r->agent->v[0].state, &as) == 0)
				out->state = agent_state_name(as);
		}
		agent_rows_free(r->agent);
		return;
	}
	if (r->row == NULL)
		return;
	op_call_out(out, &r->row->v[0]);
	call_rows_free(r->row);
}

/* The entries with writes of their own (op-call.c, op-ivr.c). */
static void
run_create(struct db *db, const struct actor *a, const char *company,
    const struct op_in *in, struct op_out *out)
{
	struct op_in	 named;
	char		 queue[UUID_LEN + 1];

	/* Made for the caller's side: no agent acts. */
	if (op_refs(db, &ops[OP_CALL_CREATE], company, in, out) != 0)
		return;
	if (in->queue_ref != NULL) {
		if (op_queue_ref(db, company, in, &named, queue, out) != 0)
			return;
		in = &named;
	}
	op_call_create(db, a, company, in, out);
}

static void
run_ivr_input(struct db *db, const struct actor *a, const char *company,
    const struct op_in *in, struct op_out *out)
{
	/* A caller keys digits or lets a prompt time out; no more. */
	if (a->kind == ACTOR_CALLER && in->input.type != IVR_EV_DIGITS &&
	    in->input.type != IVR_EV_TIMEOUT) {
		out->field = "type";
		return op_fail(out, 422, "validation_failed", "a caller"
		    " sends digits or a timeout");
	}
	if (op_refs(db, &ops[OP_CALL_IVR_INPUT], company, in, out) == 0)
		op_ivr_input(db, company, in, out);
}

static void
run_update(struct db *db, const struct actor *a, const char *company,
    const struct op_in *in, struct op_out *out)
{
	char	 me[UUID_LEN + 1];
	int	 n;

	/* An agent's own calls only; another's are none. */
	if ((n = acting_agent(db, a, company, me)) < 0)
		return op_fail_db(out, db);
	op_call_update(db, a, company, n == 1 ? me : NULL, in, out);
}

/*
 * A configuration change: the entry's writes and its audit_log row in one
 * transaction; then, once the entry has named its object (out->id) and
 * whether the transaction committed or not, its applied() brings the live
 * state to what the database holds. The entry scopes what it touches to
 * the actor's company (NULL: an admin's, every company).
 */
static void
op_admin(struct db *db, const struct op_def *d, const struct actor *a,
    const struct op_in *in, struct op_out *out)
{
	char	*detail;
	int	 rc;

	if (db_begin(db) != 0)
		return op_fail_db(out, db);
	d->run(db, a, a->company, in, out);
	if (out->status >= 400) {
		db_rollback(db);
		goto applied;
	}
	/* What the audit row records: the entry's own, else the body. */
	detail = out->audit != NULL ? json_dumps(out->audit, JSON_COMPACT) :
	    in->body != NULL ? json_dumps(in->body, JSON_COMPACT) : NULL;
	rc = db_audit(db, a->kind == ACTOR_USER ? a->user : NULL,
	    out->company[0] != '\0' ? out->company : NULL,
	    out->verb != NULL ? out->verb : d->verb, d->entity,
	    out->id[0] != '\0' ? out->id : NULL, a->ip, detail);
	free(detail);
	if (rc != 0 || db_commit(db) != 0) {
		db_rollback(db);
		op_out_free(out);
		op_fail_db(out, db);
	}
applied:
	if (d->applied != NULL && out->id[0] != '\0')
		d->applied(db, out);
}

static void
op_dispatch(struct db *db, const struct op_def *d, const struct actor *a,
    const struct op_in *in, struct op_out *out)
{
	enum op_id		 id = d->id;
	struct hub_call_op	 hop = { 0 };
	struct hub_result	 r;
	char			 company[UUID_LEN + 1], me[UUID_LEN + 1];
	int			 n;

	if ((d->actors & (1u << a->kind)) == 0)
		return op_fail(out, 403, "forbidden", "%s is not allowed here",
		    d->name);
	if (a->kind == ACTOR_USER && a->role < d->min_role)
		return op_fail(out, 403, "forbidden", "this needs the %s role",
		    role_name(d->min_role));
	if (d->tx == OPTX_ADMIN) {
		if (d->owner != OWN_ANY && op_forward(db, d, a, NULL, in, out))
			return;
		return op_admin(db, d, a, in, out);
	}
	if (op_company(db, d, a, in, company, out) != 0)
		return;
	/* Run by the company's owner, wherever it was asked. */
	if (op_forward(db, d, a, company, in, out))
		return;
	if (d->tx != OPTX_HUB || d->run != NULL)
		return d->run(db, a, company, in, out);
	/* One hub decision. */
	if ((n = acting_agent(db, a, company, me)) < 0)
		return op_fail_db(out, db);
	/*
	 * Who the hub sees acting: the agent for answer, reject and next;
	 * an agent on its own calls; managers, webhooks and the daemon as
	 * themselves (hub_call_op.agent NULL).
	 */
	if (a->kind == ACTOR_USER && n == 0 && (a->role == ROLE_AGENT ||
	    id == OP_CALL_ANSWER || id == OP_CALL_REJECT || id == OP_CALL_NEXT))
		return op_fail(out, 403, "forbidden", "you are not set up as an"
		    " agent");
	if (op_refs(db, d, company, in, out) != 0)
		return;
	switch (id) {
	case OP_CALL_NEXT:
		hub_next(db, company, me, &r);
		return hub_out(&r, 0, out);
	case OP_AGENT_STATE:
		hub_availability(db, company, in->agent, in->state,
		    in->reason, &r);
		return hub_out(&r, 1, out);
	default:
		break;
	}
	hop.op = hub_ops[id];
	if (id == OP_CALL_TRANSFER && in->queue != NULL)
		hop.op = HUB_TRANSFER_QUEUE;
	hop.company = company;
	hop.call = in->call;
	hop.actor = a->kind == ACTOR_USER ? a->user : NULL;
	hop.agent = n == 1 && (a->role == ROLE_AGENT || id == OP_CALL_ANSWER ||
	    id == OP_CALL_REJECT) ? me : NULL;
	hop.target = in->queue != NULL ? in->queue : in->agent;
	hop.caller_side = a->kind != ACTOR_USER;
	/* What the call's history records of it. */
	hop.data = d->audit & OPA_CALL_EVENTS ? op_data(in) : NULL;
	hub_call(db, &hop, &r);
	json_decref(hop.data);
	hub_out(&r, 0, out);
}

void
op_run(struct db *db, enum op_id id, const struct actor *a,
    const struct op_in *in, struct op_out *out)
{
	const struct op_def	*d = &ops[id];

	memset(out, 0, sizeof *out);
	/*
	 * Every kind of entry (enum op_tx) opens and ends its own
	 * transactions: inside a caller's, a hub decision would not be
	 * one, and one left open would hold whatever runs next.
	 */
	if (db_in_tx(db)) {
		log_warn("op: %s asked for inside a transaction", d->name);
		return op_fail(out, 500, "internal", "the request failed; the"
		    " error has been logged");
	}
	op_dispatch(db, d, a, in, out);
	/* Who supervises a call is not its agent's or caller's to know. */
	if (out->obj != NULL && json_object_get(out->obj, "supervision") &&
	    (a->kind == ACTOR_CALLER || (a->kind == ACTOR_USER &&
	    a->role == ROLE_AGENT)))
		json_object_set_new(out->obj, "supervision", json_null());
	if (db_in_tx(db)) {
		log_warn("op: %s left a transaction open; rolled back",
		    d->name);
		db_rollback(db);
		op_out_free(out);
		memset(out, 0, sizeof *out);
		op_fail(out, 500, "internal", "the request failed; the error"
		    " has been logged");
	}
}

void
op_out_free(struct op_out *out)
{
	json_decref(out->obj);
	out->obj = NULL;
	json_decref(out->errors);
	out->errors = NULL;
	json_decref(out->audit);
	out->audit = NULL;
	revoked_rows_free(out->revoked);
	out->revoked = NULL;
}

void
op_call_live(json_t *o, int position, int ewt)
{
	json_object_set_new(o, "position", json_integer(position));
	json_object_set_new(o, "estimated_wait", ewt < 0 ? json_null() :
	    json_integer(ewt));
}

json_t *
op_call_json(const struct call_row *c)
{
	json_t			*o = call_row_json(c);
	struct hub_position	 p;

	op_positions(&c, 1, &p);
	if (p.known)
		op_call_live(o, p.position, p.ewt);
	return o;
}

void
op_call_out(struct op_out *out, const struct call_row *c)
{
	out->obj = op_call_json(c);
	if (c->state != CALL_STATE_COUNT)
		out->state = call_state_name(c->state);
}

json_t *
op_table_json(void)
{
	static const char *const actor_names[] = { "user", "caller", "system" };
	static const char *const transport_names[] = { "rest", "ws",
	    "incoming", "twilio", "daemon" };
	static const char *const tx_names[OPTX__COUNT] = {
		[OPTX_HUB] = "hub", [OPTX_INSERT] = "insert",
		[OPTX_FLOW] = "flow", [OPTX_STATEMENT] = "statement",
		[OPTX_ADMIN] = "admin",
	};
	static const char *const audit_names[] = { "call_events",
	    "agent_state_log", "audit_log" };
	static const char *const owner_names[] = { [OWN_ANY] = "any",
	    [OWN_QUEUE] = "queue", [OWN_AGENT] = "agent", [OWN_USER] = "user" };
	json_t	*items = json_array(), *o, *k, *rf, *ac, *tr, *au;

	for (size_t i = 0; i < OP__COUNT; i++) {
		k = json_array();
		rf = json_array();
		ac = json_array();
		tr = json_array();
		au = json_array();
		for (size_t j = 0; j < NKEYS; j++) {
			if (ops[i].keys & keys[j].key)
				json_array_append_new(k, json_string(keys[j].name));
			if (ops[i].refs & keys[j].key)
				json_array_append_new(rf, json_string(keys[j].name));
		}
		for (size_t j = 0; j < 3; j++) {
			if (ops[i].actors & (1u << j))
				json_array_append_new(ac, json_string(actor_names[j]));
		}
		for (size_t j = 0; j < 5; j++) {
			if (ops[i].transports & (1u << j))
				json_array_append_new(tr,
				    json_string(transport_names[j]));
		}
		for (size_t j = 0; j < 3; j++) {
			if (ops[i].audit & (1u << j))
				json_array_append_new(au,
				    json_string(audit_names[j]));
		}
		o = json_pack("{s:s,s:s?,s:s?,s:s?,s:s,s:o,s:o,s:o,s:o,s:s,s:o}",
		    "name", ops[i].name, "route", ops[i].route, "rest",
		    ops[i].rest, "ws", ops[i].ws,
		    "min_role", role_name(ops[i].min_role), "actors", ac,
		    "transports", tr, "keys", k, "references", rf,
		    "transaction", tx_names[ops[i].tx], "audit", au);
		/* Whose node runs it in a cluster (op-forward.c). */
		json_object_set_new(o, "runs_on", json_string(ops[i].tx !=
		    OPTX_ADMIN ? "owner" : ops[i].owner == OWN_ANY ? "any" :
		    owner_names[ops[i].owner]));
		json_array_append_new(items, o);
	}
	return items;
}
