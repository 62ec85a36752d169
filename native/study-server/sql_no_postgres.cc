// OpenPostgres when tinym2-study was built without libpq (libpq-dev absent).
#include "sql_backend.h"

namespace tm2study {

std::unique_ptr<SqlBackend> OpenPostgres(const std::string&) {
  throw DbError("this tinym2-study was built without PostgreSQL support: install libpq-dev and rebuild");
}

}  // namespace tm2study
