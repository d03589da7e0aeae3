// Conversation text for simulated calls (verbex `messages`, zudu `transcript`).
// Generated lazily from a per-call seed, so it costs nothing until rendered.

import { Rng } from './rng.mjs';

const SCENARIOS = [
  {
    topic: 'appointment',
    agent: [
      'Hello, this is {agent} calling from Riverside Dental. Am I speaking with {customer}?',
      'I am calling to confirm your appointment on Thursday at 10:30 in the morning.',
      'Would you like to keep that appointment or move it to another day?',
      'We also have openings on Friday at 2 PM and Monday at 9 AM.',
      'Perfect, I have rescheduled your appointment. You will get a text confirmation shortly.',
      'Please remember to bring your insurance card with you.',
      'Is there anything else I can help you with today?',
      'Thank you for your time, have a wonderful day!',
    ],
    user: [
      'Yes, speaking.',
      'Oh right, I almost forgot about that.',
      'Actually, could we move it to later in the week?',
      'Friday at 2 works better for me.',
      'Great, thanks for the reminder.',
      'Do I need to bring anything?',
      'No, that is all. Thank you.',
      'Bye now.',
    ],
  },
  {
    topic: 'billing',
    agent: [
      'Thank you for calling Northwind Utilities billing support, my name is {agent}.',
      'I can help with that. Could you please confirm the account number on your invoice?',
      'I see a late fee of twelve dollars on your last invoice.',
      'Since this is your first late payment, I can waive that fee for you.',
      'I have applied a refund of twelve dollars to your account.',
      'Your next invoice will be issued on the first of the month.',
      'Would you like to set up automatic payments to avoid late fees?',
      'You are all set. Thank you for being a valued customer.',
    ],
    user: [
      'Hi, I have a question about my invoice.',
      'Sure, it is 4 4 7 1 9 0 2.',
      'Why was I charged a late fee? I paid on time.',
      'That would be great, thank you.',
      'When will the refund show up?',
      'Okay, and when is the next invoice due?',
      'Maybe later, I will think about it.',
      'Thanks for your help.',
    ],
  },
  {
    topic: 'support',
    agent: [
      'Hi, you have reached Acme Internet technical support. How can I help you today?',
      'I am sorry to hear your connection keeps dropping.',
      'Let me run a quick line test on your modem. This takes about thirty seconds.',
      'The test shows a signal problem. Could you restart the modem for me?',
      'Thank you. The connection looks stable now.',
      'If the problem comes back, I can schedule a technician visit.',
      'I have opened ticket number 58213 for your records.',
      'Thanks for your patience, goodbye.',
    ],
    user: [
      'My internet keeps dropping every few minutes and I need help.',
      'It started yesterday evening.',
      'Okay, go ahead.',
      'Done, the lights are blinking again.',
      'Yes, it seems to be working now.',
      'Please do, if it happens again I will call back.',
      'Got it, thanks.',
      'Bye.',
    ],
  },
  {
    topic: 'sales',
    agent: [
      'Good afternoon, this is {agent} from SunPeak Solar. Do you have a minute to talk about lowering your energy bill?',
      'Many homeowners in your area save around thirty percent with rooftop panels.',
      'We offer a free assessment with no obligation.',
      'Could I ask roughly how much you pay for electricity each month?',
      'Based on that, you could qualify for the federal tax credit.',
      'Would you like me to book a free consultation with one of our advisors?',
      'I understand. I will send you a brochure by email instead.',
      'Thanks for your time today.',
    ],
    user: [
      'Sure, what is this about?',
      'Hmm, that sounds interesting.',
      'How much does the assessment cost?',
      'About one hundred and fifty dollars.',
      'I did not know that.',
      'Not right now, I need to talk to my partner first.',
      'Email is fine.',
      'Goodbye.',
    ],
  },
  {
    topic: 'delivery',
    agent: [
      'Hello, this is an automated call from QuickShip about your order ending in 7731.',
      'Your package is scheduled for delivery tomorrow between 9 AM and noon.',
      'Will someone be available to receive the package?',
      'I can leave it with a neighbour or at a pickup point instead.',
      'Okay, I have updated the delivery instructions.',
      'You can track your order with the link we sent by text.',
      'Is there anything else about this delivery?',
      'Thank you, goodbye.',
    ],
    user: [
      'Hello?',
      'Tomorrow morning is not good for me.',
      'No, I will be at work.',
      'Please use the pickup point on Main Street.',
      'Thanks.',
      'Can I get a refund if it is late again?',
      'No, that is it.',
      'Bye.',
    ],
  },
];

const CUSTOMERS = ['Maria', 'James', 'Priya', 'Chen', 'Fatima', 'Lucas', 'Aisha', 'Tom', 'Elena', 'Kofi'];

// Returns [{role, content}] with `count` messages, alternating agent/user,
// starting with the agent. Deterministic in (seed, count, agentName).
export function makeMessages(seed, count, agentName) {
  const rng = new Rng(seed ^ 0x7e57);
  const sc = SCENARIOS[rng.int(SCENARIOS.length)];
  const customer = CUSTOMERS[rng.int(CUSTOMERS.length)];
  const out = [];
  let a = 0;
  let u = 0;
  for (let k = 0; k < count; k++) {
    if (k % 2 === 0) {
      let line = sc.agent[Math.min(a, sc.agent.length - 1)];
      if (a >= sc.agent.length) line = sc.agent[rng.int(sc.agent.length - 1) + 1];
      a++;
      out.push({ role: 'agent', content: line.replace('{agent}', agentName || 'Alex').replace('{customer}', customer) });
    } else {
      let line = sc.user[Math.min(u, sc.user.length - 1)];
      if (u >= sc.user.length) line = sc.user[rng.int(sc.user.length)];
      u++;
      out.push({ role: 'user', content: line });
    }
  }
  return out;
}

// Number of messages for a call with `talkSeconds` of conversation.
export function messageCount(talkSeconds) {
  if (!talkSeconds || talkSeconds <= 0) return 0;
  return Math.max(2, Math.min(20, 2 + Math.floor(talkSeconds / 30)));
}

// Retell-style plain-text transcript ("Agent: ...\nUser: ...").
export function makeTranscript(seed, count, agentName) {
  return makeMessages(seed, count, agentName)
    .map((m) => (m.role === 'agent' ? 'Agent: ' : 'User: ') + m.content)
    .join('\n');
}
