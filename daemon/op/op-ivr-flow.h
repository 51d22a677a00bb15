/*
 * IVR flows' configuration (op-ivr-flow.c): ivr_flow.create, .update,
 * .delete, .activate and .rollback, and the check every upload passes,
 * which POST /api/ivr/validate runs too.
 */
#ifndef OP_IVR_FLOW_H
#define OP_IVR_FLOW_H

#include <stddef.h>
#include <jansson.h>

struct db;
struct op_out;
struct ivr_flow;

/*
 * Parse and validate text against the company's queues, with the code the
 * CLI runs offline. Returns the flow, or NULL with out a 422 (its errors,
 * and out->obj {"diagnostics"}) or a database error. diag gets every
 * diagnostic either way. Caller frees the flow with ivr_flow_free().
 */
struct ivr_flow	*op_ivr_flow_check(struct db *, const char *company,
		    const char *text, size_t len, json_t *diag,
		    struct op_out *out);

#endif
