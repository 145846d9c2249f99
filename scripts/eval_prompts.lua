-- eval_prompts.lua: evaluate two prompt variants over a data set with checks.
--
-- Shows: a batch record function that returns its output and a table of checks
-- (name = boolean, or {name =, ok =, detail =} entries); dialua batch --report counts them over
-- the whole output and exits 1 when any failed. dial.check(name, ok, detail) records a check
-- from anywhere inside the record function, too.
-- Run:   dialua batch scripts/eval_prompts.lua --input scripts/eval_prompts.jsonl \
--          --output eval.jsonl --report [--report-json eval-report.json]
--        (each line is {"id": …, "question": …, "expect": …})
-- Writes: {"key": <id>, "output": {<variant> = answer, …}, "checks": {…}} per record.
local dial = require("dial")

local client = dial.default()
local deployment = os.getenv("EVAL_DEPLOYMENT") or "gpt-4o"

-- The prompt variants under evaluation, in a fixed order.
local variants = {
  { name = "terse", prompt = "Answer in one word: {{question}}" },
  { name = "guided", prompt = "{{question}}\nThink of {{expect}} and answer in one sentence." },
}

return function(record)
  local answers, checks = {}, {}
  for _, v in ipairs(variants) do
    local answer = assert(client:ask(deployment, dial.template(v.prompt, record)))
    answers[v.name] = answer
    local found = answer:lower():find(record.expect:lower(), 1, true) ~= nil
    checks[#checks + 1] = { name = v.name .. ": mentions the answer", ok = found,
      detail = not found and ("expected " .. record.expect) or nil }
    checks[#checks + 1] = { name = v.name .. ": under 80 characters", ok = #answer < 80 }
  end
  return answers, checks
end
