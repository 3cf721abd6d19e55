// The credentials every guest runs with: the sandbox's own user and group (it changes no ids).
export const uid = process.getuid?.() ?? 0;
export const gid = process.getgid?.() ?? 0;
