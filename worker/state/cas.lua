-- Compare-and-swap of one field of one hash: the only atomic step the
-- history needs from Redis. It knows nothing of the history: a record is
-- opaque bytes, except its first four, the basis (big-endian seconds since
-- 2000 of the newest event time it holds), which the expiry compares with
-- the cut. One key per call, so it runs on a Redis Cluster.
--
-- KEYS[1]: the hash (a bucket of records).
-- ARGV: field, "1" when a value is expected ("0": absent), expected value,
--       new value, ttl (seconds), cut (basis).
-- Returns {1} when swapped, {0, current value or nil} when not.
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  if cur ~= ARGV[3] then return {0, cur} end
elseif cur then
  return {0, cur}
end
-- A bucket also expires a retention after its last new record (wall
-- clock), for a store that no one writes anymore.
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[4]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[5])
end
-- Expiry in event time: once per hour of cut, the bucket drops the
-- records whose basis is at or before the cut (field "" keeps the hour).
local cut = tonumber(ARGV[6])
local hour = math.floor(cut / 3600)
if hour > tonumber(redis.call('HGET', KEYS[1], '') or '-1') then
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local v = all[i + 1]
    if all[i] ~= '' and #v >= 4 and struct.unpack('>I4', v) <= cut then
      redis.call('HDEL', KEYS[1], all[i])
    end
  end
  redis.call('HSET', KEYS[1], '', hour)
end
return {1}
