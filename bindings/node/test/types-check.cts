// CommonJS consumers: `require('libmatch')` through the "require" condition.
import lm = require('libmatch');

const db: lm.Database = lm.open(':memory:');
const hits: lm.MatchResults = db.query('碳化硅', 'achievement', { k: 1 });
const e: lm.LibmatchError = new lm.NotFoundError('x');
db.close();
void [hits, e];
