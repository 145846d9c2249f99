-- summarize.lua: a batch pipeline step, one summary per input record.
--
-- Shows: a batch script returns a function that is called once per record on one of the
-- workers; what it returns is written as the record's output line.
-- Run:   dialua batch scripts/summarize.lua --input docs.jsonl --output out.jsonl -j 8
--        (docs.jsonl has one {"id": …, "text": …} object per line)
-- Writes: {"key": <id>, "output": {"id": <id>, "summary": …, "words": n}} per record.
local dial = require("dial")

local client = dial.default()
local deployment = os.getenv("SUMMARY_DEPLOYMENT") or "gpt-4o"

return function(record)
  local text = assert(client:ask(deployment, "Summarize in one line:\n" .. record.text))
  local words = select(2, text:gsub("%S+", ""))
  return { id = record.id, summary = text, words = words }
end
