"""The working-day calendar as data: one document per year (``document``), the years an
operator loaded (``models``), the calendar in force (``store``) and the operator's and the
public's services on it (``service``). The arithmetic itself is ``credit.workdays``."""
