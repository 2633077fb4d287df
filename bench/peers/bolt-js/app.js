// The Bolt for JavaScript peer of streambot's Slack edge, for the side-by-side
// benchmark in BENCHMARKS.md. It does the same work per slash command as
// streambot's ack path minus the access policy: Bolt's built-in HTTPReceiver
// verifies the request signature (HMAC-SHA256, 5-minute window) and parses
// the form body; the handler parses `/stream create NAME --region R --tier T`
// and answers with an ephemeral acknowledgement through ack(), which Bolt
// writes as the HTTP response (processBeforeResponse: false, its default).
// Button clicks on /slack/interactions are verified, parsed and
// acknowledged the same way (an empty 200).
//
// Environment: PORT (default 3000), SLACK_SIGNING_SECRET (required).
// It binds 127.0.0.1 only and makes no outbound call: token verification
// (auth.test) is off, the bot identity is given, and the bot token is a
// placeholder never used. BOLT_DEBUG=1 turns on Bolt's debug log.
'use strict';

const { App, LogLevel } = require('@slack/bolt');

const port = Number(process.env.PORT || 3000);
const signingSecret = process.env.SLACK_SIGNING_SECRET;
if (!signingSecret) {
  console.error('SLACK_SIGNING_SECRET is required');
  process.exit(2);
}

const app = new App({
  signingSecret,
  // A single-workspace app: with botId and botUserId given and token
  // verification off, Bolt never calls auth.test.
  token: 'xoxb-bench-placeholder',
  botId: 'B0BENCH',
  botUserId: 'U0BENCH',
  tokenVerificationEnabled: false,
  endpoints: ['/slack/commands', '/slack/interactions'],
  logLevel: process.env.BOLT_DEBUG ? LogLevel.DEBUG : LogLevel.ERROR,
});

const actions = new Set(['create', 'list', 'describe', 'help']);

// parse splits the command text into an action, a name and --flags, as
// streambot's parser does for the common forms.
function parse(text) {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const cmd = { action: (words.shift() || 'help').toLowerCase(), name: '', flags: {} };
  if (!actions.has(cmd.action)) {
    return { error: `unknown command "${cmd.action}"` };
  }
  while (words.length > 0) {
    const w = words.shift();
    if (w.startsWith('--')) {
      const [k, v] = w.slice(2).split('=', 2);
      cmd.flags[k] = v !== undefined ? v : words.shift();
    } else if (!cmd.name) {
      cmd.name = w;
    } else {
      return { error: `unexpected "${w}"` };
    }
  }
  if (cmd.action === 'create' && !/^[A-Za-z0-9-]{1,64}$/.test(cmd.name)) {
    return { error: 'create needs a workspace name' };
  }
  return cmd;
}

app.command('/stream', async ({ command, ack }) => {
  const cmd = parse(command.text || '');
  if (cmd.error) {
    await ack({ response_type: 'ephemeral', text: `Usage: ${cmd.error}` });
    return;
  }
  const region = cmd.flags.region || 'us-east-1';
  const tier = cmd.flags.tier || 'SP30';
  await ack({
    response_type: 'ephemeral',
    text: `Working on it: creating stream workspace *${cmd.name}* (${region}, ${tier}). I'll post the result here.`,
  });
});

// A button click (block_actions on /slack/interactions): Bolt verifies it,
// parses the payload and routes it by action_id; the handler reads the
// button's value and acknowledges with an empty 200, as streambot does
// before it hands the Job over.
app.action(/^streambot\./, async ({ action, ack }) => {
  if (!action.value) {
    console.error('a click without a value');
  }
  await ack();
});

(async () => {
  await app.start({ port, host: '127.0.0.1' });
})();
