// node --require ./loopback.cjs ... : every server this process opens listens on 127.0.0.1 only, whatever host
// (or none) the application asks for. Used to run the Portkey gateway, which binds every interface by default.
'use strict';
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args.length > 0 && args[0] !== null && typeof args[0] === 'object') {
    args[0] = { ...args[0], host: '127.0.0.1' };
    return listen.apply(this, args);
  }
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    const callback = args.find((a) => typeof a === 'function');
    return listen.call(this, { port: Number(args[0]), host: '127.0.0.1' }, callback);
  }
  throw new Error('loopback.cjs: refusing a listen() it cannot pin to 127.0.0.1');
};
