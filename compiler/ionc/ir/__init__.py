"""The intermediate representations between the syntax tree and generated code."""
