#!/usr/bin/env python3
"""Acknowledged writes survive kill -9.

Usage: scripts/crash_under_load.py PATH/TO/coffer [SECONDS] [KILL_AFTER]
Starts `coffer serve --dev` on loopback, runs `wrk` POSTing a new card per request for SECONDS
(default 20), sends the server SIGKILL after KILL_AFTER seconds (default SECONDS/2), restarts it on
the same data directory, then reveals every token whose 201 reached wrk and checks it gives back
the card that was sent. Each PAN is `BIN + "000000" + last4` (a counter spread over the BIN and the
last four digits), so the PAN a 201 belongs to is known from the 201 alone.
Prints `N passed, N failed`; exits 1 on any loss.
"""
import http.client, json, os, shutil, signal, subprocess, sys, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor

WRK_SCRIPT = r"""
-- thread_index is a global that setup() gives each thread (a local would shadow it).
local counter = 0
local tokens = nil
local next_thread = 0
function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end
function luhn(body)
  local sum, double = 0, true
  for i = #body, 1, -1 do
    local d = tonumber(body:sub(i, i))
    if double then d = d * 2; if d > 9 then d = d - 9 end end
    sum = sum + d; double = not double
  end
  return (10 - sum % 10) % 10
end
function init(args)
  tokens = io.open(args[1] .. "/tokens-" .. thread_index .. ".txt", "w")
end
function request()
  counter = counter + 1
  local n = thread_index * 10000000 + counter
  local high = string.format("%05d", math.floor(n / 1000) % 100000)
  local low = string.format("%03d", n % 1000)
  local body = "4" .. high .. "000000" .. low
  local pan = body .. luhn(body)
  return wrk.format("POST", "/vault/v1/cards", nil, '{"number":"' .. pan .. '","expirationDate":"203012"}')
end
function response(status, headers, body)
  if status == 201 then tokens:write(body, "\n"); tokens:flush() end
end
"""


def main():
    binary = sys.argv[1]
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    kill_after = float(sys.argv[3]) if len(sys.argv) > 3 else seconds / 2
    work = tempfile.mkdtemp(prefix="coffer-crash-")
    data = os.path.join(work, "data")

    def start(dev):
        args = [binary, "serve", "--data-dir", data, "--listen", "127.0.0.1:0"] + (["--dev"] if dev else [])
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        credentials = json.loads(process.stdout.readline()) if dev else None
        url = process.stdout.readline().split()[-1]
        return process, credentials, url

    server, credentials, url = start(dev=True)
    key = credentials["apiKey"]
    with open(os.path.join(work, "load.lua"), "w") as script:
        script.write(WRK_SCRIPT)
    wrk = subprocess.Popen(["wrk", "-t2", "-c64", f"-d{seconds}s", "-s", os.path.join(work, "load.lua"),
                            "-H", f"Authorization: Bearer {key}", "-H", "Content-Type: application/json",
                            url, "--", work], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(kill_after)
    server.send_signal(signal.SIGKILL)
    server.wait()
    wrk_output = wrk.communicate(timeout=seconds + 30)[0]

    acknowledged = []
    for name in os.listdir(work):
        if name.startswith("tokens-"):
            with open(os.path.join(work, name)) as lines:
                acknowledged += [json.loads(line) for line in lines if line.strip()]

    server, _, url = start(dev=False)
    host, port = url.split("//")[1].split(":")
    lost, lock, local = [], threading.Lock(), threading.local()

    def reveal(card):
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        local.connection.request("POST", f"/vault/v1/cards/{card['token']}/reveal", headers={"Authorization": f"Bearer {key}"})
        response = local.connection.getresponse()
        body = response.read()
        expected = card["bin"] + "000000" + card["last4"]
        if response.status != 200 or json.loads(body).get("number") != expected:
            with lock:
                lost.append(card["token"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(reveal, acknowledged))
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)

    requests = next((line for line in wrk_output.splitlines() if "requests in" in line), "").strip()
    print(f"wrk: {requests}; killed after {kill_after:.0f}s; acknowledged tokens: {len(acknowledged)}; lost: {len(lost)}")
    shutil.rmtree(work, ignore_errors=True)
    ok = len(acknowledged) > 0 and not lost
    print(f"{1 if ok else 0} passed, {0 if ok else 1} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
