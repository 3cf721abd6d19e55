import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    print("child on a tty:", os.isatty(0))
    sys.stdout.flush()
    os._exit(0)
data = b""
while True:
    try:
        chunk = os.read(fd, 100)
    except OSError as e:
        print("read ended:", e.errno)
        break
    if not chunk:
        break
    data += chunk
print(repr(data))
print(os.waitpid(pid, 0)[1])
