# Hostile candidate: run only inside the sandbox. Writes far more than the file-size limit.
with open("huge.bin", "wb") as f:
    for _ in range(1000):
        f.write(b"x" * (1 << 20))
