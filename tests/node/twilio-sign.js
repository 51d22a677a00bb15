#!/usr/bin/env node
// Signs a webhook request as Twilio does, with Twilio's own helper library:
//
//   node twilio-sign.js AUTH_TOKEN URL [NAME=VALUE...]
//
// prints the X-Twilio-Signature of a POST of those form fields to URL
// (twilio.getExpectedTwilioSignature), after checking that
// twilio.validateRequest accepts it.
"use strict";
const twilio = require("twilio");

const [authToken, url, ...fields] = process.argv.slice(2);
if (!url) {
	console.error("usage: twilio-sign.js AUTH_TOKEN URL [NAME=VALUE...]");
	process.exit(2);
}
const params = {};
for (const f of fields) {
	const i = f.indexOf("=");
	params[f.slice(0, i)] = f.slice(i + 1);
}
const sig = twilio.getExpectedTwilioSignature(authToken, url, params);
if (!twilio.validateRequest(authToken, sig, url, params)) {
	console.error("twilio-sign: the library refuses its own signature");
	process.exit(1);
}
console.log(sig);
