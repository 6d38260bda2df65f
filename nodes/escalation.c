/* placeholder */ typedef int gl_placeholder_escalation;
