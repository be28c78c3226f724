# Hostile candidate: run only inside the sandbox. Tries to reach a server of the harness.
import socket

host, port = input().split()
s = socket.create_connection((host, int(port)), timeout=0.5)
s.sendall(b"leak")
print("connected")
