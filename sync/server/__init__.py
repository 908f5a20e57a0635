"""The headless REST server (`savepets serve`): FastAPI over core.usecases, versioned under /v1.

Modules: app (create_app), routes (/v1 endpoints), deps (shared dependencies: get_service, require_role,
...), keys (API keys and roles), limits (upload size, rate), errors (one error format), runner (worker
pool or Celery), tasks (Celery tasks), ops (the heavy use cases on bytes), events (gallery invalidation
over Redis).
"""
