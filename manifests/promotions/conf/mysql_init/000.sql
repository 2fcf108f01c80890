-- The database of the unit tests; ms_promo itself is created by the container (MYSQL_DATABASE).
CREATE DATABASE test_ms_promo CHARACTER SET utf8;
GRANT ALL PRIVILEGES ON test_ms_promo.* TO 'mpay_ms_promo'@'%';
FLUSH PRIVILEGES;
