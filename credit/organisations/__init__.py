"""Industry organisations (行业组织): a kind of party (e.g. 江苏省电子商务协会) that publishes
its self-discipline convention (自律公约), keeps a member list the firms confirm, runs
pledge campaigns (承诺活动) with a 行业自律型 template, and refers a member's breach of the
convention to the competent regulator (违反自律公约转交), which never becomes a public record
by itself."""
