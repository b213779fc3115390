-- GET a random one of the seeded patients.
request = function()
  return wrk.format("GET", "/fhir/Patient/bench-" .. math.random(1, 1000))
end
