// A static HTTP server for a Helm chart repository directory (index.yaml and the chart packages),
// on 127.0.0.1. Started by chart-repo.sh:
//
//   node chart-repo-server.cjs DIR [PORT]
//
// It listens on PORT when that is free (a restart keeps the URL a stack was given), else on any
// free port, then writes DIR/server.pid and DIR/url (http://127.0.0.1:<port>) and logs one line
// per request. It serves GET and HEAD of the files directly in DIR, nothing else.
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");

const dir = path.resolve(process.argv[2] || ".");
const preferred = Number(process.argv[3] || 0);
const TYPES = { ".yaml": "application/x-yaml", ".tgz": "application/gzip", ".prov": "text/plain" };

const server = http.createServer((req, res) => {
    const done = (status, headers, body) => {
        res.writeHead(status, headers);
        res.end(req.method === "HEAD" ? undefined : body);
        console.log(`${new Date().toISOString()} ${req.method} ${req.url} ${status}`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return done(405, { allow: "GET, HEAD" }, "");
    let name;
    try {
        name = decodeURIComponent(new URL(req.url, "http://x").pathname).replace(/^\/+/, "");
    } catch {
        return done(400, {}, "bad path\n");
    }
    // Only the files of DIR itself: no subdirectories, no dot files (the pid and url files are fine to show).
    if (name === "" || name.includes("/") || name.startsWith(".")) return done(404, { "content-type": "text/plain" }, "not found\n");
    const file = path.join(dir, name);
    fs.readFile(file, (err, data) => {
        if (err) return done(404, { "content-type": "text/plain" }, "not found\n");
        done(200, { "content-type": TYPES[path.extname(name)] || "application/octet-stream", "content-length": data.length }, data);
    });
});

function ready() {
    const { port } = server.address();
    const url = `http://127.0.0.1:${port}`;
    // The url file last, each written whole: chart-repo.sh waits for it.
    fs.writeFileSync(path.join(dir, ".server.pid.tmp"), `${process.pid}\n`);
    fs.renameSync(path.join(dir, ".server.pid.tmp"), path.join(dir, "server.pid"));
    fs.writeFileSync(path.join(dir, ".url.tmp"), `${url}\n`);
    fs.renameSync(path.join(dir, ".url.tmp"), path.join(dir, "url"));
    console.log(`${new Date().toISOString()} serving ${dir} at ${url} (pid ${process.pid})`);
}

server.once("error", (err) => {
    if (err.code !== "EADDRINUSE" || preferred === 0) throw err;
    console.log(`${new Date().toISOString()} port ${preferred} is taken: any free port instead`);
    server.listen(0, "127.0.0.1", ready);
});
server.listen(preferred, "127.0.0.1", ready);

for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
        console.log(`${new Date().toISOString()} ${signal}: stopping`);
        server.close();
        process.exit(0);
    });
}
