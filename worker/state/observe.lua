-- Atomically records one complaint and computes its history facts, and
-- those of the complaints it changes. Mirrors history.Memory; see
-- rules/history for the semantics. No string ordering is done here (Lua
-- compares with the server's locale): event-time order comes from sorted
-- sets, which order members byte-wise.
--
-- ARGV: prefix, id, at, fp, raw, merchant, user, order, appeal_of, retention_s
-- Returns: {status, facts, rev, n, [id, raw, facts, previous, rev] * n}
local P = ARGV[1]
local id, at, fp, raw = ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local merchant, user, order, appeal = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local retention = tonumber(ARGV[10])
local D24, D7, D30 = 86400, 7 * 86400, 30 * 86400

local function mkey(m) return P .. "m:" .. m end
local function ukey(u) return P .. "u:" .. u end
local function okey(u, o) return P .. "o:" .. u .. "\t" .. o end
local function akey(a) return P .. "a:" .. a end
local function ckey(c) return P .. "c:" .. c end

local function load(cid)
  local v = redis.call("HMGET", ckey(cid), "at", "m", "u", "o", "a", "f", "rev", "raw", "fp")
  if not v[1] then return nil end
  return {id = cid, at = tonumber(v[1]), m = v[2], u = v[3], o = v[4], a = v[5], f = v[6],
          rev = tonumber(v[7]), raw = v[8], fp = v[9]}
end

-- index (1-based, in steps of 2 with WITHSCORES) of member in a reply, or nil
local function find(reply, member, step)
  for i = 1, #reply, step do
    if reply[i] == member then return i end
  end
  return nil
end

-- r's facts, or nil when r's own events are gone (older than the retention)
local function compute(r)
  local m24, m7, m30, mc24, mc30, u24, seenOrder, appealKnown = 0, 0, 0, 0, 0, 0, 0, 0
  if r.m ~= "" then
    local evs = redis.call("ZRANGEBYSCORE", mkey(r.m), "(" .. (r.at - D30), r.at, "WITHSCORES")
    local self = find(evs, r.id .. "\t" .. r.u, 2)
    if not self then return nil end
    local seen = {}
    for i = self, 1, -2 do
      local member, score = evs[i], tonumber(evs[i + 1])
      local tab = string.find(member, "\t", 1, true)
      local who = string.sub(member, tab + 1)
      mc30 = mc30 + 1
      if score > r.at - D24 then mc24 = mc24 + 1 end
      if who ~= "" and not seen[who] then
        seen[who] = true
        m30 = m30 + 1
        if score > r.at - D7 then m7 = m7 + 1 end
        if score > r.at - D24 then m24 = m24 + 1 end
      end
    end
  end
  if r.u ~= "" then
    local ks = redis.call("ZRANGEBYSCORE", ukey(r.u), "(" .. (r.at - D24), r.at)
    u24 = find(ks, r.id, 1)
    if not u24 then return nil end
    if r.o ~= "" and r.a == "" then
      local os = redis.call("ZRANGEBYSCORE", okey(r.u, r.o), "(" .. (r.at - D30), r.at)
      local i = find(os, r.id, 1)
      if not i then return nil end
      if i > 1 then seenOrder = 1 end
    end
  end
  if r.a ~= "" then
    local oat = tonumber(redis.call("HGET", ckey(r.a), "at") or "")
    if oat and oat > r.at - D30 then appealKnown = 1 end
  end
  return table.concat({m24, m7, m30, mc24, mc30, u24, seenOrder, appealKnown}, ",")
end

-- complaints later in event time within a window of r, and appeals of r
local function affected(r)
  local out, seen = {}, {[r.id] = true}
  local function add(cid)
    if not seen[cid] then
      seen[cid] = true
      out[#out + 1] = cid
    end
  end
  local function after(reply, member, strip)
    local i = find(reply, member, 1) or 0
    for j = i + 1, #reply do
      local cid = reply[j]
      if strip then cid = string.sub(cid, 1, string.find(cid, "\t", 1, true) - 1) end
      add(cid)
    end
  end
  if r.m ~= "" then
    after(redis.call("ZRANGEBYSCORE", mkey(r.m), r.at, "(" .. (r.at + D30)), r.id .. "\t" .. r.u, true)
  end
  if r.u ~= "" then
    after(redis.call("ZRANGEBYSCORE", ukey(r.u), r.at, "(" .. (r.at + D24)), r.id, false)
    if r.o ~= "" and r.a == "" then
      after(redis.call("ZRANGEBYSCORE", okey(r.u, r.o), r.at, "(" .. (r.at + D30)), r.id, false)
    end
  end
  for _, cid in ipairs(redis.call("SMEMBERS", akey(r.id))) do add(cid) end
  return out
end

local rec = load(id)
if rec then
  if rec.fp == fp then
    local reply = {"redelivery", rec.f, rec.rev, 0}
    local n = 0
    for _, cid in ipairs(affected(rec)) do
      local x = load(cid)
      if x then
        n = n + 1
        for _, v in ipairs({x.id, x.raw, x.f, "", x.rev}) do reply[#reply + 1] = v end
      end
    end
    reply[4] = n
    return reply
  end
  return {"resubmission", rec.f, rec.rev, 0}
end

rec = {id = id, at = at, m = merchant, u = user, o = order, a = appeal, rev = 1, raw = raw}
local cut = nil
local newest = tonumber(redis.call("GET", P .. "newest") or "0")
if at > newest then
  newest = at
  redis.call("SET", P .. "newest", newest)
end
cut = newest - retention
local touched = {ckey(id)}
if merchant ~= "" then
  redis.call("ZADD", mkey(merchant), at, id .. "\t" .. user)
  touched[#touched + 1] = mkey(merchant)
end
if user ~= "" then
  redis.call("ZADD", ukey(user), at, id)
  touched[#touched + 1] = ukey(user)
  if order ~= "" and appeal == "" then
    redis.call("ZADD", okey(user, order), at, id)
    touched[#touched + 1] = okey(user, order)
  end
end
if appeal ~= "" then
  redis.call("SADD", akey(appeal), id)
  touched[#touched + 1] = akey(appeal)
end
rec.f = compute(rec) or "0,0,0,0,0,0,0,0"
redis.call("HSET", ckey(id), "at", at, "fp", fp, "raw", raw, "m", merchant, "u", user, "o", order, "a", appeal,
  "f", rec.f, "rev", 1)

local reply = {"new", rec.f, 1, 0}
local n = 0
for _, cid in ipairs(affected(rec)) do
  local x = load(cid)
  if x then
    local nf = compute(x)
    if nf and nf ~= x.f then
      local rev = redis.call("HINCRBY", ckey(cid), "rev", 1)
      redis.call("HSET", ckey(cid), "f", nf)
      n = n + 1
      for _, v in ipairs({x.id, x.raw, nf, x.f, rev}) do reply[#reply + 1] = v end
    end
  end
end
reply[4] = n

-- Bounded: forget events older than the retention behind the newest one,
-- and let every key written expire a retention after its last write.
for _, k in ipairs(touched) do
  if string.sub(k, 1, #P + 2) ~= P .. "c:" and string.sub(k, 1, #P + 2) ~= P .. "a:" then
    redis.call("ZREMRANGEBYSCORE", k, "-inf", cut)
  end
  redis.call("EXPIRE", k, retention)
end
return reply
