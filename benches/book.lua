-- wrk script for the write path (benches/wrk.sh): every request books a 30-minute slot that no
-- other request of the run takes, dealt round-robin over the rooms, so every answer should be a
-- 201. Arguments after `--`: the first slot's start (Unix seconds, UTC), the number of wrk
-- threads (-t) and the room ids.
--   wrk -t2 -c64 -d10s -s benches/book.lua http://HOST -- 1767225600 2 ID1 ID2 ...
-- The bearer token comes from the environment (TOKEN), so it never shows in a process list.

local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

function init(args)
    first = tonumber(args[1])
    threads_n = tonumber(args[2])
    rooms = {}
    for i = 3, #args do
        rooms[#rooms + 1] = args[i]
    end
    counter = 0
    failed = 0
    headers = {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
    }
end

local function at(seconds)
    return os.date("!%Y-%m-%dT%H:%M:%SZ", seconds)
end

function request()
    -- Unique across threads, and dense (so a long run stays within the five years ahead a
    -- booking may be made): thread `id` takes the numbers equal to `id` modulo the thread count.
    local k = counter * threads_n + id
    counter = counter + 1
    local room = rooms[(k % #rooms) + 1]
    local start = first + math.floor(k / #rooms) * 1800
    local body = string.format('{"room_id":"%s","title":"Load","start":"%s","end":"%s"}', room, at(start),
        at(start + 1800))
    return wrk.format("POST", "/api/v1/reservations", headers, body)
end

function response(status)
    if status ~= 201 then
        failed = failed + 1
    end
end

function done(summary, latency, requests)
    local failures = 0
    for _, thread in ipairs(threads) do
        failures = failures + thread:get("failed")
    end
    io.write(string.format("RESULT %.2f %.3f %.3f %d %d\n", summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, failures))
end
