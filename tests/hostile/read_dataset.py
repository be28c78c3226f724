# Hostile candidate: run only inside the sandbox. Reads the harness's problems file to cheat.
import json

path = input().strip()
for line in open(path):
    print(json.loads(line)["expected"])
