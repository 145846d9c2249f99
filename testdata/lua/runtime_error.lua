local function check(n)
  if n > 2 then
    error("n is too big: " .. n)
  end
end
check(3)
