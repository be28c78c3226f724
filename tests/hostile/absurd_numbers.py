# Number tokens no float or int conversion survives, printed as the answer.
print("1e999999999 10**10**10 1e99999999999999999999999 -1e-99999999999999999999999 "
      + "9" * 200000 + "e" + "9" * 200000 + " .5e-0 00.00 1e")
