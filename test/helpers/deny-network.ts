// Preloaded (node --require, after ts-node) into a child process: every attempt to open a network connection or
// resolve a host name throws and is logged to stderr as "NETWORK ATTEMPT", so a test can prove
// that a code path never touches the network.
import * as net from "node:net";
import * as dns from "node:dns";
const deny = (what: string) =>
  function denied(): never {
    process.stderr.write(`NETWORK ATTEMPT: ${what}\n`);
    throw new Error(`network access denied in this test (${what})`);
  };
// Every TCP connection (net.connect, http, https, fetch's undici) goes through Socket#connect.
net.Socket.prototype.connect = deny("net.Socket.connect");
Object.assign(dns.promises, { lookup: deny("dns.promises.lookup") });
