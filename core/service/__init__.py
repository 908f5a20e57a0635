"""The parts of the one service object, `core.usecases.SavePets`, a module a job: base (state, who may do what,
outbox and audit entries), gallery (the search index and identification), lookup, registration, dogs_and_owners,
reviews, staff_and_signin, owners_rights. The sync steps are core/replication/."""
