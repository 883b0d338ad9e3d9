"""The pages people see: blueprints for signing in, the Passport pages and the developer console."""
