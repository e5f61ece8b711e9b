// Loaded before an action's bundle when node is older than the node24 the actions declare:
// the two node 22 additions their bundles (undici, octokit) call as they load or post.
// Neither changes what an action parses or reports.
import wt from 'node:worker_threads'

// Marks an object as not cloneable by postMessage, which the actions never call.
if (!wt.markAsUncloneable) wt.markAsUncloneable = () => {}

if (!Promise.withResolvers) {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new this((ok, fail) => {
      resolve = ok
      reject = fail
    })
    return {promise, resolve, reject}
  }
}
