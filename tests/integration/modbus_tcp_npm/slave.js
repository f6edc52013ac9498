// Modbus TCP slave from the independent modbus-serial package (ServerTCP),
// for the modbus-tcp driver's integration test. It serves on 127.0.0.1:PORT
// as unit UNIT:
//   holding register i = 500 + i, input register i = 2000 + i,
//   coil i = (i % 2 == 0), discrete input i = (i % 3 == 0), for i in 0-99.
// Each write is applied and printed as one JSON line on stdout, e.g.
// {"write":"register","address":3,"value":1234,"unit":1}, so the test can
// check what the slave received. "listening" is printed once it accepts.
//
// Usage: node slave.js PORT UNIT
"use strict";

const ModbusRTU = require("modbus-serial");

const port = Number(process.argv[2]);
const unit = Number(process.argv[3] || 1);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error("usage: node slave.js PORT UNIT");
    process.exit(2);
}

const size = 100;
const holding = Array.from({ length: size }, (_, i) => 500 + i);
const coils = Array.from({ length: size }, (_, i) => i % 2 === 0);

// modbus-serial turns a thrown {modbusErrorCode} into an exception reply.
function check(address) {
    if (address < 0 || address >= size) {
        throw { modbusErrorCode: 0x02, msg: "illegal data address " + address };
    }
}

const vector = {
    getHoldingRegister(address) {
        check(address);
        return holding[address];
    },
    getInputRegister(address) {
        check(address);
        return 2000 + address;
    },
    getCoil(address) {
        check(address);
        return coils[address];
    },
    getDiscreteInput(address) {
        check(address);
        return address % 3 === 0;
    },
    setRegister(address, value, unitID) {
        check(address);
        holding[address] = value;
        console.log(JSON.stringify({ write: "register", address, value, unit: unitID }));
    },
    setCoil(address, value, unitID) {
        check(address);
        coils[address] = value;
        console.log(JSON.stringify({ write: "coil", address, value, unit: unitID }));
    },
};

const server = new ModbusRTU.ServerTCP(vector, { host: "127.0.0.1", port, unitID: unit });
server.on("initialized", () => console.log("listening"));
server.on("serverError", (err) => {
    console.error("server error: " + err.message);
    process.exit(1);
});
server.on("socketError", (err) => console.error("socket error: " + err.message));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
