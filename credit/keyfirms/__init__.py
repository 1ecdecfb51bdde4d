"""Key e-commerce enterprises (重点电子商务企业): the commerce department's list, its
history, the pledge coverage of every listed firm, and reminders to firms without one."""
